"""Bayesian optimization over a finite candidate set: score every candidate, pick a batch.

The candidates are the rows of the problem's table (an HTE plate, a
published screen) or, for a discrete space without one, every allowed
combination. Each call encodes them (molecules by their parameter's
encoding), fits a GP per outcome on the observations, and then:

- with one objective, scores every free candidate by log expected
  improvement times the probability of meeting the outcome constraints (and,
  if failures are learned, of succeeding), and builds the batch greedily,
  conditioning on each pick and on the pending experiments
  (:func:`planner.acquisition.greedy_batch`);
- with several objectives, uses BoTorch's qLogNEHVI over the candidates
  (:mod:`planner.multiobjective`);
- before any model can be fitted, spreads the batch over the candidates
  in the feature space of the parameters' declared encodings
  (:mod:`planner.initial`: by default representative points on sets of at
  most 150 candidates, maximin distance on larger ones) or draws it at random.

The models' encoding of molecule parameters follows the surrogate option
``molecules`` (``auto``: chosen per campaign by leave-one-out likelihood,
:mod:`planner.encoding_choice`); the choice is in the proposal's model
information under ``encoding``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor

from planner.acquisition import Chooser, Scorer, greedy_batch, log_probability_above
from planner.candidates import CandidateSet, batch_groups, candidate_designs, enumerate_space
from planner.diagnostics import cross_validation
from planner.encoding import Encoder
from planner.encoding_choice import EncodingChoice, fit_chosen
from planner.errors import InfeasibleSpaceError, PlannerError
from planner.initial import Initial, initial_chooser, resolved
from planner.model_options import BatchRule, SurrogateOptions, model_seed
from planner.multiobjective import hypervolume_chooser
from planner.posterior import CandidatePosterior
from planner.problem import (
    Design,
    ModelReport,
    Observation,
    Prediction,
    Problem,
    Proposal,
    Suggestion,
)
from planner.sampled_batch import sampled_ei_batch
from planner.surrogate import DTYPE
from planner.training import SUCCESS, Models
from planner.warm_hyperparameters import WarmStart


@dataclass(frozen=True)
class Settings:
    """Options of the candidate-set strategy (see ``CandidateBayesianOptimization``)."""

    name: str
    failures: Literal["ignore", "avoid"]
    initial: Initial
    max_candidates: int
    surrogate: SurrogateOptions = field(default_factory=SurrogateOptions)
    stagnation: int = 0
    """Batches without improvement after which one slot per batch explores (0: never)."""
    warm: WarmStart | None = field(default=None, compare=False)
    """The strategy object's hyperparameters from its last fit (``None``: fit cold)."""
    acquisition: Literal["ei", "explore"] = "ei"
    """``"ei"``: optimize (log EI); ``"explore"``: learn the whole space (largest variance)."""
    batch: BatchRule = "believer"
    """How a model batch is built after its first pick (:mod:`planner.sampled_batch`)."""


def propose(
    problem: Problem,
    observations: Sequence[Observation],
    pending: Sequence[Design],
    n: int,
    seed: int,
    settings: Settings,
) -> Proposal:
    """Propose ``n`` unused candidates (see the module docstring).

    Raises:
        PlannerError: No candidate table and the space is continuous or too large.
        InfeasibleSpaceError: Every candidate is observed or pending.
    """
    candidates = candidate_set(problem, settings.max_candidates)
    own = [o.parameters for o in observations if o.task is None]
    free = candidates.available([*own, *pending])
    if not free:
        raise InfeasibleSpaceError(
            f"all {len(candidates)} candidates have been observed or are pending"
        )
    call_seed = model_seed(seed, len(observations))
    learn = settings.failures == "avoid"
    encoder, models, choice = fit_chosen(
        problem, observations, call_seed, learn, settings.surrogate, settings.warm
    )
    features = torch.as_tensor(encoder.encode_frame(candidates.table), dtype=DTYPE)
    with torch.no_grad():
        pending_x = torch.as_tensor(encoder.encode(list(pending)), dtype=DTYPE)
        if all(o.name in models.fits for o in problem.objectives):
            if settings.acquisition == "explore":
                chooser, generator = uncertainty_chooser(problem, models, features)
            else:
                explore = stagnating(problem, observations, n, settings.stagnation)
                chooser, generator = _model_chooser(
                    problem, models, features, call_seed, explore, settings.batch
                )
        else:
            declared, features, pending_x = _declared(encoder, candidates, pending, features)
            chooser = initial_chooser(
                settings.initial, declared, candidates, features, [*own, *pending], call_seed
            )
            generator = f"{resolved(settings.initial, len(candidates))} init"
        rows = choose_batch(candidates, free, n, pending_x, features, chooser)
        generator = f"{generator} [{choice.label}]" if choice.label else generator
        return _proposal(problem, candidates, rows, models, features, settings, generator, choice)


def _declared(
    encoder: Encoder, candidates: CandidateSet, pending: Sequence[Design], features: Tensor
) -> tuple[Encoder, Tensor, Tensor]:
    """The encoder of the parameters' declared encodings, the candidates' and pending rows.

    The first batch is spread in this feature space whatever the models'
    encoding, so that model options never change the initial design.
    """
    declared = encoder
    if encoder.molecules is not None:
        declared = Encoder(encoder.space, encoder.tasks)
        features = torch.as_tensor(declared.encode_frame(candidates.table), dtype=DTYPE)
    return declared, features, torch.as_tensor(declared.encode(list(pending)), dtype=DTYPE)


def candidate_set(problem: Problem, limit: int) -> CandidateSet:
    """The problem's candidate table, or every design of its discrete space.

    Raises:
        PlannerError: Neither is available.
    """
    if problem.candidates is not None:
        return problem.candidates
    enumerated = enumerate_space(problem.space, limit)
    if enumerated is None:
        raise PlannerError(
            "candidate-set optimization needs a candidate table or a discrete space "
            f"of at most {limit} designs; this space "
            + (
                f"has {problem.space.discrete_size()}"
                if problem.space.is_discrete
                else "has continuous parameters"
            )
        )
    return enumerated


def choose_batch(
    candidates: CandidateSet,
    free: list[int],
    n: int,
    pending_x: Tensor,
    features: Tensor,
    chooser: Chooser,
) -> list[int]:
    """Choose ``n`` free rows; with fixed-per-batch parameters all share the first's values.

    The first design is chosen among groups (rows sharing the fixed values)
    that still have ``n`` free rows when any does, then the rest of the batch
    within its group, conditioned on the first.
    """
    fixed = candidates.space.fixed_per_batch
    if not fixed or n == 1:
        return chooser(free, n, pending_x)
    groups = batch_groups(candidates, free, fixed)
    eligible = [r for g in groups.values() if len(g) >= n for r in g]
    first = chooser(eligible or max(groups.values(), key=len), 1, pending_x)
    group = next(g for g in groups.values() if first[0] in g)
    rest = [r for r in group if r != first[0]]
    if not rest:
        return first
    return first + chooser(rest, n - 1, torch.cat([pending_x, features[first]]))


def stagnating(problem: Problem, observations: Sequence[Observation], n: int, batches: int) -> bool:
    """Whether the last ``batches`` batches of ``n`` (own, completed) brought no improvement."""
    if batches < 1 or len(problem.objectives) != 1:
        return False
    objective = problem.objectives[0]
    values = [
        objective.sign * float(o.values[objective.name])
        for o in observations
        if o.task is None and not o.failed and objective.name in o.values
    ]
    window = batches * n
    if len(values) <= window:
        return False
    return max(values[-window:]) <= max(values[:-window])


def _model_chooser(
    problem: Problem,
    models: Models,
    features: Tensor,
    seed: int,
    explore: bool = False,
    batch: BatchRule = "believer",
) -> tuple[Chooser, str]:
    if len(problem.objectives) > 1:
        return hypervolume_chooser(problem, models, features, seed), "qLogNEHVI"
    objective = problem.objectives[0]
    fit = models.fits[objective.name]
    posterior = CandidatePosterior(fit, features)
    sign = objective.sign
    scorer = Scorer(
        objective_mean=sign * posterior.mean,
        log_feasible=feasibility(problem, models, features),
        best=incumbent(problem, models, posterior, sign),
    )

    sampled = batch == "qei" and sampled_batch_applies(scorer)

    def choose(rows: list[int], n: int, pending_x: Tensor) -> list[int]:
        greedy = n - 1 if explore and n > 1 else n
        if sampled and scorer.best is not None:
            index = torch.tensor(rows)
            args = (scorer.objective_mean, scorer.best, sign, index, greedy, pending_x, seed)
            picks = sampled_ei_batch(posterior, *args)
        else:
            picks = greedy_batch(posterior, scorer, torch.tensor(rows), greedy, pending_x)
        if greedy < n:
            picks += _most_uncertain(posterior, [r for r in rows if r not in set(picks)])
        return picks

    generator = ("qEI" if sampled else "logEI") if scorer.best is not None else "feasibility"
    return choose, generator + (" + 1 exploring (stagnation)" if explore else "")


def sampled_batch_applies(scorer: Scorer) -> bool:
    """Whether ``batch: qei`` builds this batch: an incumbent and nothing but the objective.

    With outcome constraints or a learned failure model the batch stays the
    conditioned log-EI one (the sampled gain has no feasibility weight).
    """
    return scorer.best is not None and not bool(scorer.log_feasible.any())


def uncertainty_chooser(problem: Problem, models: Models, features: Tensor) -> tuple[Chooser, str]:
    """Uncertainty sampling: each pick is the candidate of largest posterior variance.

    The variance is the first objective's; each pick (and each pending design)
    is conditioned on before the next, so a batch spreads over what the model
    does not know yet instead of piling up in one uncertain corner.
    """
    posterior = CandidatePosterior(models.fits[problem.objectives[0].name], features)

    def score(rows: Tensor, sd: Tensor) -> Tensor:
        return torch.log(sd)

    def choose(rows: list[int], n: int, pending_x: Tensor) -> list[int]:
        return greedy_batch(posterior, score, torch.tensor(rows), n, pending_x)

    return choose, "uncertainty"


def _most_uncertain(posterior: CandidatePosterior, rows: list[int]) -> list[int]:
    """The row of largest posterior variance (one exploratory slot), if any is left."""
    if not rows:
        return []
    index = torch.tensor(rows)
    return [rows[int(torch.argmax(posterior.variance[index]))]]


def feasibility(problem: Problem, models: Models, features: Tensor) -> Tensor:
    """Summed log-probabilities that each candidate meets every modelled constraint."""
    total = torch.zeros(features.shape[0], dtype=DTYPE)
    for constraint in problem.outcome_constraints:
        fit = models.fits.get(constraint.name)
        if fit is None:
            continue
        posterior = CandidatePosterior(fit, features)
        mean, variance = posterior.mean, posterior.variance
        sign = 1.0 if constraint.op == ">=" else -1.0
        bound = fit.from_units(constraint.bound)
        total += log_probability_above(sign * mean, variance.sqrt(), sign * bound)
    success = models.fits.get(SUCCESS)
    if success is not None:
        posterior = CandidatePosterior(success, features)
        bound = success.from_units(0.5)
        total += log_probability_above(posterior.mean, posterior.variance.sqrt(), bound)
    return total


def incumbent(
    problem: Problem, models: Models, posterior: CandidatePosterior, sign: float
) -> float | None:
    """Best posterior mean (sign-adjusted) among the campaign's feasible observations.

    Using the model's mean rather than the raw best value keeps a lucky noisy
    measurement from setting the bar (the plug-in form of noisy EI). Before the
    campaign has its own observations (a model learned from a related one), the
    best predicted candidate sets the bar.
    """
    fit = models.fits[problem.objectives[0].name]
    target = fit.train_task == 0
    if not bool(target.any()):
        return float((sign * posterior.mean).max())
    mean, _ = posterior.predict(fit.train_x[target])
    feasible = torch.ones(len(mean), dtype=torch.bool)
    observed = models.observed
    for constraint in problem.outcome_constraints:
        values = observed.get(constraint.name)
        if values is not None and len(values) == len(mean):
            feasible &= torch.as_tensor([constraint.is_satisfied(float(v)) for v in values])
    if not bool(feasible.any()):
        return None
    return float((sign * mean)[feasible].max())


def _proposal(
    problem: Problem,
    candidates: CandidateSet,
    rows: list[int],
    models: Models,
    features: Tensor,
    settings: Settings,
    generator: str,
    choice: EncodingChoice,
) -> Proposal:
    chosen = features[rows]
    predictions = [dict[str, Prediction]() for _ in rows]
    for name, fit in models.fits.items():
        if name == SUCCESS:
            continue
        mean, variance = CandidatePosterior(fit, chosen).predict(chosen)
        noise = float(fit.model.likelihood.noise.item())
        mean_u, sd_u = fit.to_units(mean, (variance + noise).sqrt())
        for i in range(len(rows)):
            predictions[i][name] = Prediction(float(mean_u[i]), float(sd_u[i]))
    label = f"{settings.name}:{generator}"
    suggestions = [
        Suggestion(parameters=design, predictions=p, generator=label)
        for design, p in zip(candidate_designs(candidates, rows), predictions, strict=True)
    ]
    return Proposal(
        suggestions,
        ModelReport(
            settings.name, _n_train(models), _diagnostics(models, candidates, label, choice)
        ),
    )


def _n_train(models: Models) -> int:
    return max((len(v) for v in models.observed.values()), default=0)


def _diagnostics(
    models: Models, candidates: CandidateSet, generator: str, choice: EncodingChoice
) -> dict[str, Any]:
    cv = {
        name: cross_validation(fit, models.observed[name])
        for name, fit in models.fits.items()
        if name != SUCCESS and len(models.observed.get(name, ())) >= 2
    }
    out: dict[str, Any] = {"generator": generator, "n_candidates": len(candidates)}
    out["encoding"] = choice.report()
    if cv:
        out["cv"] = cv
    if models.skipped:
        out["not_modelled"] = dict(models.skipped)
    return out
