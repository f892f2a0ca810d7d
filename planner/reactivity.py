"""How well a model maps a space: predictions for unmeasured candidates, scored against truth.

After a campaign has measured part of a table (an exploration, a replayed
screen), :func:`predict_candidates` fits the outcome model on what was
measured and predicts every other candidate; :func:`reactivity_scores` then
compares those predictions with the table's true values: accuracy and ROC
AUC of "reactive" (value >= threshold) and R² of the values themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from planner.model_options import SurrogateOptions

if TYPE_CHECKING:
    from planner.encoding_choice import EncodingChoice
from planner.problem import Observation, Problem


@dataclass(frozen=True)
class ReactivityScores:
    """Scores of predictions on the unmeasured candidates."""

    accuracy: float
    """Share of candidates whose predicted class (>= threshold or not) is right."""
    roc_auc: float
    """Probability that a reactive candidate is predicted higher than an unreactive one."""
    r2: float
    """1 − residual / total sum of squares of the predicted values."""
    count: int
    reactive_share: float
    """Share of the candidates that are truly reactive (the accuracy of always guessing is
    ``max(share, 1 - share)``)."""


def roc_auc(scores: npt.ArrayLike, labels: npt.ArrayLike) -> float:
    """Area under the ROC curve (Mann–Whitney), ties counted one half; NaN with one class."""
    score = np.asarray(scores, dtype=float)
    label = np.asarray(labels, dtype=bool)
    positives, negatives = int(label.sum()), int((~label).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    order = np.argsort(score, kind="stable")
    ranks = np.empty(score.size)
    sorted_scores = score[order]
    start = 0
    while start < score.size:  # average ranks over ties
        stop = start
        while stop + 1 < score.size and sorted_scores[stop + 1] == sorted_scores[start]:
            stop += 1
        ranks[order[start : stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    u = ranks[label].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def reactivity_scores(
    predicted: npt.ArrayLike, truth: npt.ArrayLike, threshold: float
) -> ReactivityScores:
    """Score predicted values against true ones: reactive means ``value >= threshold``.

    Raises:
        ValueError: Empty or mismatched arrays, or non-finite values.
    """
    guess = np.asarray(predicted, dtype=float)
    actual = np.asarray(truth, dtype=float)
    if guess.shape != actual.shape or guess.ndim != 1 or guess.size == 0:
        raise ValueError(
            f"predicted and true values must be two equally long non-empty lists, "
            f"got shapes {guess.shape} and {actual.shape}"
        )
    if not (np.all(np.isfinite(guess)) and np.all(np.isfinite(actual))):
        raise ValueError("predicted and true values must be finite")
    reactive = actual >= threshold
    accuracy = float(np.mean((guess >= threshold) == reactive))
    total = float(np.sum((actual - actual.mean()) ** 2))
    r2 = float("nan") if total == 0 else 1.0 - float(np.sum((actual - guess) ** 2)) / total
    return ReactivityScores(
        accuracy, roc_auc(guess, reactive), r2, int(actual.size), float(reactive.mean())
    )


def predict_candidates(
    problem: Problem,
    observations: Sequence[Observation],
    seed: int = 0,
    options: SurrogateOptions | None = None,
) -> tuple[list[int], np.ndarray]:
    """Fit the first objective's GP on ``observations``; predict every unmeasured candidate.

    Returns the candidate row numbers not observed and the predicted values
    (posterior means, in the objective's units) in the same order.

    Raises:
        PlannerError: No candidate table, or too few observations to fit.
    """
    free, predicted, _ = predict_with_encoding(problem, observations, seed, options)
    return free, predicted


def predict_with_encoding(
    problem: Problem,
    observations: Sequence[Observation],
    seed: int = 0,
    options: SurrogateOptions | None = None,
) -> tuple[list[int], np.ndarray, EncodingChoice]:
    """:func:`predict_candidates`, and which encoding of the molecules the model used.

    The encoding follows ``options.molecules`` (``auto``: chosen by
    leave-one-out likelihood, :mod:`planner.encoding_choice`).

    Raises:
        PlannerError: No candidate table, or too few observations to fit.
    """
    import torch

    from planner.discrete_bo import candidate_set
    from planner.encoding_choice import fit_chosen
    from planner.errors import PlannerError
    from planner.posterior import CandidatePosterior
    from planner.surrogate import DTYPE

    if problem.candidates is None:
        raise PlannerError("predicting candidates needs a problem with a candidate table")
    candidates = candidate_set(problem, len(problem.candidates))
    options = options or SurrogateOptions()
    encoder, models, choice = fit_chosen(problem, observations, seed, False, options)
    name = problem.objectives[0].name
    if name not in models.fits:
        raise PlannerError(f"no model of {name!r}: {models.skipped.get(name, 'no data')}")
    fit = models.fits[name]
    free = candidates.available([o.parameters for o in observations if o.task is None])
    features = torch.as_tensor(encoder.encode_frame(candidates.table.iloc[free]), dtype=DTYPE)
    with torch.no_grad():
        posterior = CandidatePosterior(fit, features)
        mean, _ = fit.to_units(posterior.mean, posterior.variance.sqrt())
    return free, mean.numpy(), choice
