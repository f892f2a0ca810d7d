"""Exploration mode: measure 10 % of a table, predict the reactivity of the rest.

After Granda et al. (Nature 2018): a robot measured ~10 % of ~1000 reactions
and predicted the reactivity of the rest. Here: the Suzuki 3696 subset,
10 % measured (370 experiments, batches of 37) by ``explore`` (uncertainty
sampling), by ``bo`` (optimizing) or at random; then the same model
(:func:`planner.reactivity.predict_candidates`, block priors) is trained on
each measured 10 % and scored on the unmeasured 90 %: accuracy and ROC AUC of
"reactive" (yield >= 20 %) and R² of the yields.
"""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.planner_harness import TableProblem, table_problem
from benchmarks.planner_tables import SUZUKI_PARAMETERS, read
from benchmarks.registry import benchmark
from planner import Objective, Observation, suggest
from planner.model_options import SurrogateOptions
from planner.reactivity import predict_candidates, reactivity_scores
from planner.threads import configure_process_threads

THRESHOLD = 20.0
"""Yield (%) from which a condition counts as reactive."""


@benchmark("planner-explore")
def explore(console: Console, seeds: int = 3, share: float = 0.10, batches: int = 10) -> None:
    """Reactivity of the unmeasured 90 % of Suzuki 3696 after 10 % measured three ways."""
    configure_process_threads(1)
    table = read("suzuki_miyaura_perera2018/suzuki_miyaura_edbo_subset_3696.csv")
    target = table_problem(table, SUZUKI_PARAMETERS, [Objective(name="yield")], "onehot")
    problem = target.problem
    assert problem.candidates is not None
    budget = round(share * len(problem.candidates))
    batch = -(-budget // batches)
    out = Table(
        title=f"Suzuki 3696: {budget} measured ({100 * share:.0f} %), reactive = yield ≥ "
        f"{THRESHOLD:g} %, scored on the other {len(problem.candidates) - budget}, "
        f"mean over {seeds} seeds"
    )
    for column in ("measured by", "accuracy", "ROC AUC", "R²", "reactive share", "always-guess"):
        out.add_column(column, justify="right")
    for strategy in ("explore", "random", "bo"):
        rows = []
        for seed in range(seeds):
            measured = campaign(target, strategy, seed, budget, batch)
            free, predicted = predict_candidates(problem, measured, seed, SurrogateOptions("block"))
            candidates = problem.candidates.rows()
            truth = np.array([target.measure(candidates[i])["yield"] for i in free])
            rows.append(reactivity_scores(predicted, truth, THRESHOLD))
        share_reactive = float(np.mean([r.reactive_share for r in rows]))
        out.add_row(
            strategy,
            f"{np.mean([r.accuracy for r in rows]):.3f}",
            f"{np.mean([r.roc_auc for r in rows]):.3f}",
            f"{np.mean([r.r2 for r in rows]):.3f}",
            f"{share_reactive:.2f}",
            f"{max(share_reactive, 1 - share_reactive):.3f}",
        )
    console.print(out)


def campaign(
    target: TableProblem, strategy: str, seed: int, budget: int, batch: int
) -> list[Observation]:
    """The observations of one campaign of ``strategy`` against the table."""
    observations: list[Observation] = []
    while len(observations) < budget:
        n = min(batch, budget - len(observations))
        proposal = suggest(target.problem, observations, [], n, seed, strategy)
        observations += [
            Observation(s.parameters, target.measure(s.parameters)) for s in proposal.suggestions
        ]
    return observations
