"""Bayesian optimization over candidate sets (``bo-candidates``, and ``bo`` on tables)."""

import itertools
import math

import pandas as pd
import pytest
import torch

from planner import (
    CandidateSet,
    CategoricalParameter,
    InfeasibleSpaceError,
    MoleculeParameter,
    Objective,
    Observation,
    OrdinalParameter,
    OutcomeConstraint,
    PlannerError,
    Problem,
    SearchSpace,
    suggest,
)

SOLVENTS = {"MeCN": "CC#N", "THF": "C1CCOC1", "DMF": "CN(C)C=O", "MeOH": "CO"}
EFFECT_A = {"a0": 0.0, "a1": 1.0, "a2": 3.0, "a3": 0.5, "a4": 1.5}
EFFECT_B = {"b0": 0.0, "b1": 2.0, "b2": 0.5, "b3": 1.0}
EFFECT_S = {"MeCN": 0.0, "THF": 1.0, "DMF": 0.3, "MeOH": 2.0}


def space(encoding: str = "onehot", **fields: object) -> SearchSpace:
    return SearchSpace.model_validate(
        {
            "parameters": [
                CategoricalParameter(name="a", choices=tuple(EFFECT_A)),
                CategoricalParameter(name="b", choices=tuple(EFFECT_B)),
                MoleculeParameter(name="solvent", choices=SOLVENTS, encoding=encoding),
            ],
            **fields,
        }
    )


def response(d: dict) -> float:
    bonus = 1.0 if (d["a"], d["b"]) == ("a2", "b1") else 0.0
    return EFFECT_A[d["a"]] + EFFECT_B[d["b"]] + EFFECT_S[d["solvent"]] + bonus


def table_problem(encoding: str = "onehot", **fields: object) -> Problem:
    sp = space(encoding, **fields)
    rows = [
        dict(zip(sp.names, c, strict=True)) for c in itertools.product(EFFECT_A, EFFECT_B, SOLVENTS)
    ]
    return Problem(
        space=sp,
        objectives=(Objective(name="y"),),
        candidates=CandidateSet(sp, pd.DataFrame(rows)),
    )


def run(
    problem: Problem,
    budget: int,
    batch: int,
    strategy: str = "bo-candidates",
    seed: int = 0,
    **options,
):
    observations: list[Observation] = []
    proposals = []
    while len(observations) < budget:
        proposal = suggest(problem, observations, [], batch, seed, strategy, options or None)
        proposals.append(proposal)
        observations += [
            Observation(s.parameters, {"y": response(s.parameters)}) for s in proposal.suggestions
        ]
    return observations, proposals


@pytest.mark.parametrize("encoding", ["onehot", "descriptors", "morgan"])
def test_finds_the_best_of_80_designs_within_20_experiments(encoding: str) -> None:
    observations, proposals = run(table_problem(encoding), budget=20, batch=4)
    best = max(response(o.parameters) for o in observations)
    assert best == max(response(r) for r in table_problem().candidates.rows())  # 8.0
    keys = [tuple(o.parameters.values()) for o in observations]
    assert len(set(keys)) == len(keys)
    first, last = proposals[0], proposals[-1]
    assert first.report.diagnostics["generator"] == "bo-candidates:medoids init"
    assert last.report.diagnostics["generator"] == "bo-candidates:logEI"
    assert set(last.report.diagnostics["cv"]["y"]) == {"r2", "rmse", "coverage_95", "n"}
    assert all(set(s.predictions) == {"y"} and s.predictions["y"].sd > 0 for s in last.suggestions)


def test_proposals_are_reproducible_and_skip_pending_designs() -> None:
    problem = table_problem()
    observations, _ = run(problem, budget=8, batch=4)
    one = suggest(problem, observations, [], 3, 5, "bo-candidates")
    two = suggest(problem, observations, [], 3, 5, "bo-candidates")
    assert [s.parameters for s in one.suggestions] == [s.parameters for s in two.suggestions]
    pending = [one.suggestions[0].parameters]
    three = suggest(problem, observations, pending, 3, 5, "bo-candidates")
    assert pending[0] not in [s.parameters for s in three.suggestions]


def test_bo_uses_the_candidate_strategy_on_tables_and_small_discrete_spaces() -> None:
    problem = table_problem()
    observations, _ = run(problem, budget=8, batch=4, strategy="bo")
    proposal = suggest(problem, observations, [], 2, 0, "bo")
    assert proposal.report.strategy == "bo"
    assert proposal.report.diagnostics["generator"] == "bo:logEI"
    no_table = problem.model_copy(update={"candidates": None})
    assert (
        suggest(no_table, observations, [], 2, 0, "bo").report.diagnostics["generator"]
        == "bo:logEI"
    )


def test_exclusions_and_fixed_per_batch_hold_in_model_based_batches() -> None:
    problem = table_problem(exclusions=["a = a2 and solvent = MeOH"], fixed_per_batch=("solvent",))
    observations, proposals = run(problem, budget=16, batch=4)
    for proposal in proposals:
        assert len({s.parameters["solvent"] for s in proposal.suggestions}) == 1
    assert not any(
        o.parameters["a"] == "a2" and o.parameters["solvent"] == "MeOH" for o in observations
    )


def test_learning_failures_steers_away_from_where_experiments_fail() -> None:
    problem = table_problem()

    def outcome(design: dict) -> Observation:
        if design["solvent"] == "MeOH":  # the best solvent clogs the line
            return Observation(design, failed=True)
        return Observation(design, {"y": response(design)})

    def failures_after(**options: object) -> int:
        observations: list[Observation] = []
        for _ in range(5):
            proposal = suggest(problem, observations, [], 4, 1, "bo-candidates", options or None)
            observations += [outcome(s.parameters) for s in proposal.suggestions]
        return sum(o.failed for o in observations[8:])

    assert failures_after(failures="avoid") < failures_after(failures="ignore")


def constrained_problem() -> Problem:
    base = table_problem()
    return Problem(
        space=base.space,
        objectives=base.objectives,
        outcome_constraints=(OutcomeConstraint.model_validate("purity >= 0.5"),),
        candidates=base.candidates,
    )


def measure_with_purity(d: dict) -> dict[str, float]:
    """Level b1 gives the best yields and always fails the purity bound."""
    return {"y": response(d), "purity": 0.0 if d["b"] == "b1" else 1.0}


FIRST = {"initial": "maximin"}


def constrained_campaign(seed: int, batches: int) -> list[Observation]:
    problem = constrained_problem()
    observations: list[Observation] = []
    for _ in range(batches):
        # the first batch is pinned (maximin) so that the seeds test the constraint model
        proposal = suggest(problem, observations, [], 4, seed, "bo-candidates", FIRST)
        observations += [
            Observation(s.parameters, measure_with_purity(s.parameters))
            for s in proposal.suggestions
        ]
    return observations


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_outcome_constraint_is_respected_by_the_model(seed: int) -> None:
    observations = constrained_campaign(seed, 5)
    assert all(o.values["purity"] >= 0.5 for o in observations[12:])  # batches 4 and 5
    feasible_best = max(o.values["y"] for o in observations if o.values["purity"] >= 0.5)
    assert feasible_best == 6.0  # a2, b3, MeOH: the best design without b1


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_the_constraint_model_learns_which_parameter_the_constraint_follows(seed: int) -> None:
    # Under the objectives' block prior every lengthscale stays near its block's
    # diameter, and untried b1 rows kept a 3-26 % chance of meeting the bound.
    from planner.discrete_bo import feasibility
    from planner.encoding_choice import fit_chosen
    from planner.model_options import SurrogateOptions

    problem = constrained_problem()
    observations = constrained_campaign(seed, 4)
    infeasible = {tuple(o.parameters.values()) for o in observations if o.values["purity"] < 0.5}
    assert len(infeasible) >= 3
    options = SurrogateOptions("block", True)
    encoder, models, _ = fit_chosen(problem, observations, seed, False, options)
    table = problem.candidates.table
    features = torch.as_tensor(encoder.encode_frame(table), dtype=torch.float64)
    with torch.no_grad():
        chance = torch.exp(feasibility(problem, models, features)).numpy()
    seen = {tuple(o.parameters.values()) for o in observations}
    untried = [tuple(r) not in seen for r in table.itertuples(index=False)]
    on_b1 = (table["b"] == "b1").to_numpy()
    assert chance[on_b1 & untried].max() < 0.01
    assert chance[~on_b1].min() > 0.9


@pytest.mark.slow  # the first qLogNEHVI on a machine compiles BoTorch's fused C++ kernel (~2 min)
def test_two_objectives_use_hypervolume_improvement() -> None:
    base = table_problem()
    problem = Problem(
        space=base.space,
        objectives=(Objective(name="y"), Objective(name="cost", direction="minimize")),
        candidates=base.candidates,
    )

    def measure(d: dict) -> dict[str, float]:
        return {"y": response(d), "cost": EFFECT_A[d["a"]] + 0.5 * EFFECT_S[d["solvent"]]}

    observations: list[Observation] = []
    for _ in range(3):
        proposal = suggest(problem, observations, [], 4, 0, "bo-candidates")
        observations += [
            Observation(s.parameters, measure(s.parameters)) for s in proposal.suggestions
        ]
    assert proposal.report.diagnostics["generator"] == "bo-candidates:qLogNEHVI"
    assert all(set(s.predictions) == {"y", "cost"} for s in proposal.suggestions)
    assert len({tuple(s.parameters.values()) for s in proposal.suggestions}) == 4


def test_a_related_campaign_informs_the_first_batch() -> None:
    problem = table_problem()
    related = [
        Observation(d, {"y": response(d) + 10.0}, task="earlier substrate")
        for d in problem.candidates.rows()[::3]
    ]
    proposal = suggest(problem, related, [], 4, 0, "bo-candidates")
    assert proposal.report.diagnostics["generator"] == "bo-candidates:logEI"
    assert proposal.report.n_train == 0
    best = max(response(s.parameters) for s in proposal.suggestions)
    assert best >= 7.0  # top designs of 80 (the median is about 3.7)


def test_exhausted_and_oversized_spaces_are_reported() -> None:
    problem = table_problem()
    everything = [Observation(d, {"y": 0.0}) for d in problem.candidates.rows()]
    with pytest.raises(InfeasibleSpaceError, match="all 80 candidates"):
        suggest(problem, everything, [], 1, 0, "bo-candidates")
    wide = Problem(
        space=SearchSpace(
            parameters=tuple(
                OrdinalParameter(name=f"p{i}", levels=tuple(float(v) for v in range(10)))
                for i in range(6)
            )
        ),
        objectives=(Objective(name="y"),),
    )
    with pytest.raises(PlannerError, match="at most 100000 designs; this space has 1000000"):
        suggest(wide, [], [], 1, 0, "bo-candidates")


def test_failed_observations_are_not_zeros() -> None:
    problem = table_problem()
    observations, _ = run(problem, budget=8, batch=4)
    with_failure = [
        *observations,
        Observation({"a": "a2", "b": "b1", "solvent": "MeOH"}, failed=True),
    ]
    proposal = suggest(problem, with_failure, [], 2, 0, "bo-candidates")
    assert proposal.report.n_train == 8
    assert all(math.isfinite(s.predictions["y"].mean) for s in proposal.suggestions)


@pytest.mark.slow
def test_unmeasured_constraint_and_learned_failures_with_two_objectives() -> None:
    base = table_problem()
    problem = Problem(
        space=base.space,
        objectives=(Objective(name="y"), Objective(name="cost", direction="minimize")),
        outcome_constraints=(OutcomeConstraint.model_validate("purity >= 0.5"),),
        candidates=base.candidates,
    )
    observations = [
        Observation(d, {"y": response(d), "cost": EFFECT_A[d["a"]]})
        if d["solvent"] != "MeOH"
        else Observation(d, failed=True)
        for d in problem.candidates.rows()[::7]
    ]
    proposal = suggest(problem, observations, [], 3, 0, "bo-candidates", {"failures": "avoid"})
    assert proposal.report.diagnostics["generator"] == "bo-candidates:qLogNEHVI"
    assert "purity" in proposal.report.diagnostics["not_modelled"]
    assert len(proposal.suggestions) == 3
