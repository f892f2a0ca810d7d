"""``explore`` (uncertainty sampling) and scoring a model's map of the unmeasured candidates."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from planner import Observation, suggest
from planner.encoding import Encoder
from planner.model_options import SurrogateOptions
from planner.posterior import CandidatePosterior
from planner.reactivity import predict_candidates, reactivity_scores, roc_auc
from planner.surrogate import DTYPE
from planner.training import fit_models
from tests.planner.test_candidate_bo import response, table_problem


def test_reactivity_scores_on_a_table_with_a_known_answer() -> None:
    truth = np.array([0.0, 10.0, 30.0, 50.0])
    predicted = np.array([5.0, 25.0, 35.0, 45.0])
    scores = reactivity_scores(predicted, truth, threshold=20.0)
    assert scores.accuracy == 0.75  # 10 is predicted reactive (25), the rest right
    assert scores.roc_auc == 1.0  # both reactive rows are predicted above both others
    residual = 25 + 225 + 25 + 25
    total = float(np.sum((truth - truth.mean()) ** 2))
    assert scores.r2 == pytest.approx(1 - residual / total)
    assert (scores.count, scores.reactive_share) == (4, 0.5)


def test_roc_auc_counts_ties_as_one_half_and_needs_both_classes() -> None:
    assert roc_auc([1.0, 1.0], [True, False]) == 0.5
    assert roc_auc([3.0, 1.0, 2.0], [False, True, True]) == 0.0
    assert roc_auc([0.2, 0.9, 0.4, 0.4], [False, True, True, False]) == pytest.approx(0.875)
    assert np.isnan(roc_auc([1.0, 2.0], [True, True]))


def test_reactivity_scores_refuse_mismatched_or_missing_values() -> None:
    with pytest.raises(ValueError, match="equally long"):
        reactivity_scores([1.0], [1.0, 2.0], 1.0)
    with pytest.raises(ValueError, match="finite"):
        reactivity_scores([np.nan], [1.0], 1.0)


def measured(count: int, seed: int = 3) -> list[Observation]:
    problem = table_problem()
    assert problem.candidates is not None
    rows = problem.candidates.rows()
    chosen = np.random.default_rng(seed).choice(len(rows), size=count, replace=False)
    return [Observation(rows[i], {"y": response(rows[i])}) for i in chosen]


@pytest.mark.slow
def test_explore_picks_the_most_uncertain_candidate_first_and_spreads_the_batch() -> None:
    problem = table_problem()
    seen = measured(8)
    proposal = suggest(problem, seen, [], 4, 0, "explore")
    picks = [s.parameters for s in proposal.suggestions]
    assert all(s.generator == "explore:uncertainty" for s in proposal.suggestions)
    assert len({tuple(p.values()) for p in picks}) == 4
    assert not {tuple(p.values()) for p in picks} & {tuple(o.parameters.values()) for o in seen}
    # the same model, refitted as the strategy does, has its largest variance at the first pick
    call_seed = int(np.random.SeedSequence([0, len(seen)]).generate_state(1)[0])
    encoder = Encoder(problem.space, [""])
    models = fit_models(problem, encoder, seen, call_seed, False, SurrogateOptions("block"))
    assert problem.candidates is not None
    free = problem.candidates.available([o.parameters for o in seen])
    features = torch.as_tensor(encoder.encode_frame(problem.candidates.table), dtype=DTYPE)
    variance = CandidatePosterior(models.fits["y"], features).variance[free]
    assert problem.candidates.rows()[free[int(torch.argmax(variance))]] == picks[0]


@pytest.mark.slow
def test_predict_candidates_covers_the_unmeasured_rest() -> None:
    problem = table_problem()
    seen = measured(40)
    rows, predicted = predict_candidates(problem, seen, options=SurrogateOptions("block"))
    assert problem.candidates is not None
    assert len(rows) == len(problem.candidates) - 40
    truth = np.array([response(problem.candidates.rows()[i]) for i in rows])
    scores = reactivity_scores(predicted, truth, threshold=float(np.median(truth)))
    assert scores.r2 > 0.8  # an additive response: half the table teaches the rest
    assert scores.roc_auc > 0.9
