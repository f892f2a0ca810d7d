"""``dbtl model report``: what the campaign's model predicts for every candidate not yet measured.

For a campaign over a candidate set (a replayed table, a discrete library)
the outcome model is fitted on the stored results as the campaign's planner
fits it (the surrogate options of the campaign's strategy: prior, warp,
molecule encoding, with ``molecules: auto`` choosing by leave-one-out
likelihood; the seed the loop's next proposal fits with), and every
unmeasured candidate is predicted. The report says which options and
encoding it used. "Reactive" means a predicted value at or above the
threshold. When the campaign replays a table, the predictions are scored
against the table's true values: accuracy and ROC AUC of "reactive", and R²
of the values (the exploration benchmark of Granda et
al., Nature 2018: measure a tenth, predict the rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from datastore import Session
from datastore import repository as repo
from lab.builders.binding import make_builder
from lab.builders.capabilities import KnowsCandidateTruth, OffersCandidates
from lab.running.learn import planner_inputs
from lab.running.stored_specs import stored_lab, stored_spec
from planner import surrogate_options
from planner.errors import PlannerError
from planner.model_options import SurrogateOptions, model_seed
from planner.reactivity import ReactivityScores, predict_with_encoding, reactivity_scores


@dataclass(frozen=True)
class CandidateReport:
    """The model's view of one campaign's unmeasured candidates."""

    campaign: str
    objective: str
    threshold: float
    measured: int
    """Observations the model was fitted on (completed and failed experiments)."""
    predictions: pd.DataFrame
    """One row per unmeasured candidate: its parameters, ``predicted`` and, when the
    campaign replays a table, ``true``."""
    scores: ReactivityScores | None
    """Against the table's true values, or ``None`` when the truth is unknown."""
    options: SurrogateOptions
    """The surrogate options of the campaign's strategy, which the model was built with."""
    encoding: dict[str, Any]
    """Which encoding of the molecule parameters the model used, and why
    (:meth:`planner.encoding_choice.EncodingChoice.report`)."""

    @property
    def predicted_reactive(self) -> int:
        """Unmeasured candidates predicted at or above the threshold."""
        return int((self.predictions["predicted"] >= self.threshold).sum())


def candidate_report(session: Session, name: str, threshold: float) -> CandidateReport:
    """Fit the campaign's model on its stored results and predict every unmeasured candidate.

    Raises:
        NotFoundError: No such campaign.
        PlannerError: The campaign has no candidate set, no lab stored with it,
            or too few results to fit a model.
    """
    campaign = repo.get_campaign(session, name)
    spec, lab = stored_spec(campaign), stored_lab(campaign)
    if lab is None:
        raise PlannerError(f"campaign {name!r} has no lab stored with it: nothing to predict")
    builder = make_builder(spec, lab)
    if not isinstance(builder, OffersCandidates):
        raise PlannerError(
            f"campaign {name!r} has no candidate set (its builder is "
            f"{spec.protocol.builder!r}); a model report needs a replayed table or a library"
        )
    problem = spec.problem()
    problem = problem.model_copy(update={"candidates": builder.candidates(problem.space)})
    observations, _ = planner_inputs(session, campaign.id or 0, problem)
    objective = problem.objectives[0].name
    options = surrogate_options(spec.strategy.name, spec.strategy.options)
    seed = model_seed(spec.strategy.seed, len(observations))
    free, predicted, choice = predict_with_encoding(problem, observations, seed, options)
    assert problem.candidates is not None
    rows = problem.candidates.table.iloc[free].reset_index(drop=True).copy()
    rows["predicted"] = predicted
    scores = None
    if isinstance(builder, KnowsCandidateTruth):
        truth = builder.candidate_truth(rows[list(problem.space.names)], objective)
        rows["true"] = truth
        known = ~np.isnan(truth)
        scores = reactivity_scores(predicted[known], truth[known], threshold)
    return CandidateReport(
        name, objective, threshold, len(observations), rows, scores, options, choice.report()
    )
