"""How the outcome models encode molecule parameters, chosen per campaign on its data.

With the surrogate option ``molecules: auto``, every candidate encoding of
:data:`CANDIDATE_ENCODINGS` (one-hot, reduced RDKit descriptors, and both
combined) is fitted to the campaign's observations, and the one whose GP
predicts the first objective's observations best from the others (largest
mean leave-one-out log predictive density, closed form for exact GPs) is
used. The choice is deterministic given the data and the seed; ties go to
the earlier encoding of :data:`CANDIDATE_ENCODINGS`. Before
:data:`MIN_CHOICE_OBSERVATIONS` observations the leave-one-out scores say
little, and :data:`BEFORE_CHOICE` is used. Any other value of ``molecules``
fixes the encoding (``declared``: as each parameter says).

The choice, the scores and the reason are reported with the proposal's model
information (:meth:`EncodingChoice.report`), so provenance shows which
encoding produced a batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.diagnostics import loo_log_density
from planner.encoding import Encoder, MoleculeEncoding
from planner.model_options import SurrogateOptions
from planner.parameters import MoleculeParameter
from planner.problem import Observation, Problem
from planner.training import Models, fit_models, task_labels
from planner.warm_hyperparameters import WarmStart

CANDIDATE_ENCODINGS: tuple[MoleculeEncoding, ...] = ("onehot", "descriptors", "combined")
"""Encodings ``molecules: auto`` chooses among, in tie-breaking order."""
MIN_CHOICE_OBSERVATIONS = 8
"""Own observations of the first objective needed before encodings are compared."""
BEFORE_CHOICE: MoleculeEncoding = "combined"
"""Encoding used before there are enough observations to choose (it contains the others)."""


@dataclass(frozen=True)
class EncodingChoice:
    """Which encoding of the molecule parameters the models used, and why."""

    encoding: str
    """``declared``, or the encoding every molecule parameter got."""
    reason: str
    scores: dict[str, float] = field(default_factory=dict)
    """Mean leave-one-out log predictive density per candidate encoding (when compared)."""
    notes: dict[str, str] = field(default_factory=dict)
    """Parameters encoded otherwise than chosen, and why (e.g. a one-hot fallback)."""

    def report(self) -> dict[str, Any]:
        """The choice as plain data for the proposal's model information."""
        out: dict[str, Any] = {"molecules": self.encoding, "reason": self.reason}
        if self.scores:
            out["loo_log_density"] = {k: round(v, 4) for k, v in self.scores.items()}
        if self.notes:
            out["notes"] = dict(self.notes)
        return out

    @property
    def label(self) -> str:
        """A short tag for the generator label (empty when nothing was chosen)."""
        if not self.scores:
            return ""
        return f"molecules={self.encoding} by LOO"


def molecule_parameters(problem: Problem) -> list[MoleculeParameter]:
    """The problem's molecule parameters (the ones an encoding choice applies to)."""
    return [p for p in problem.space.parameters if isinstance(p, MoleculeParameter)]


def fit_chosen(
    problem: Problem,
    observations: Sequence[Observation],
    seed: int,
    learn_failures: bool,
    options: SurrogateOptions,
    warm: WarmStart | None = None,
) -> tuple[Encoder, Models, EncodingChoice]:
    """The encoder and fitted models of the encoding ``options.molecules`` asks for.

    Returns:
        The encoder (also to encode the candidates), the models fitted with it,
        and the choice with its reason.
    """
    tasks = task_labels(observations)
    fixed = _fixed_choice(problem, observations, options)
    if fixed is not None:
        encoder = Encoder(problem.space, tasks, _override(fixed.encoding))
        models = fit_models(problem, encoder, observations, seed, learn_failures, options, warm)
        return encoder, models, _with_notes(fixed, encoder)
    fitted: dict[str, tuple[Encoder, Models]] = {}
    scores: dict[str, float] = {}
    objective = problem.objectives[0].name
    for encoding in CANDIDATE_ENCODINGS:
        encoder = Encoder(problem.space, tasks, encoding)
        models = fit_models(problem, encoder, observations, seed, learn_failures, options, warm)
        fitted[encoding] = (encoder, models)
        if objective in models.fits:
            scores[encoding] = loo_log_density(models.fits[objective])
    if not scores:
        encoder, models = fitted[BEFORE_CHOICE]
        reason = f"{objective} has no model yet; {BEFORE_CHOICE} until it has"
        return encoder, models, _with_notes(EncodingChoice(BEFORE_CHOICE, reason), encoder)
    best = max(scores, key=lambda e: (scores[e], -CANDIDATE_ENCODINGS.index(e)))
    encoder, models = fitted[best]
    reason = f"largest leave-one-out log density of {objective} ({len(observations)} observations)"
    return encoder, models, _with_notes(EncodingChoice(best, reason, scores), encoder)


def _fixed_choice(
    problem: Problem, observations: Sequence[Observation], options: SurrogateOptions
) -> EncodingChoice | None:
    """The choice when no comparison is made (``None``: compare the candidates)."""
    if options.molecules != "auto":
        return EncodingChoice(options.molecules, "fixed by the molecules option")
    if not molecule_parameters(problem):
        return EncodingChoice("declared", "no molecule parameters to encode")
    own = _own_count(problem, observations)
    if own < MIN_CHOICE_OBSERVATIONS:
        reason = (
            f"{own} of the {MIN_CHOICE_OBSERVATIONS} observations needed to compare "
            f"encodings; {BEFORE_CHOICE} until then"
        )
        return EncodingChoice(BEFORE_CHOICE, reason)
    return None


def _own_count(problem: Problem, observations: Sequence[Observation]) -> int:
    name = problem.objectives[0].name
    return sum(1 for o in observations if o.task is None and not o.failed and name in o.values)


def _override(encoding: str) -> MoleculeEncoding | None:
    if encoding == "declared":
        return None
    assert encoding in ("onehot", "descriptors", "morgan", "combined")
    return encoding  # type: ignore[return-value]


def _with_notes(choice: EncodingChoice, encoder: Encoder) -> EncodingChoice:
    if not encoder.notes:
        return choice
    return EncodingChoice(choice.encoding, choice.reason, choice.scores, dict(encoder.notes))
