"""Bayesian optimization on Ax's ``Client`` (BoTorch underneath), registered as ``bo``.

The strategy is stateless: every call builds a fresh ``Client`` from the
problem, attaches the observations (completed or failed) and the pending
designs, and asks for ``n`` trials. Ax objects never leave this module.

- Problems with a candidate table, and discrete spaces small enough to list,
  are handed to the candidate-set strategy (``bo-candidates``): scoring every
  candidate beats local search over choices, and molecular encodings apply.
- Otherwise the first ``initial_designs`` designs come from our scrambled
  Sobol sequence (continued across cycles), then Ax's model-based node: a GP
  with qLogNEI (qLogNEHVI for several objectives), its acquisition optimizer
  budgeted by :mod:`planner.ax_setup` so a batch takes seconds, not minutes.
- Fixed-per-batch parameters: the first trial is generated freely, the rest
  with its values fixed. Exclusions: Ax cannot express them, so excluded
  proposals are abandoned and regenerated, and any still missing are drawn
  at random among allowed designs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

from planner.errors import PlannerError
from planner.logs import quiet_info_logs
from planner.model_options import SurrogateOptions
from planner.problem import (
    Design,
    ModelReport,
    Observation,
    Prediction,
    Problem,
    Proposal,
    Suggestion,
    completed,
)
from planner.registry import register
from planner.sampling import draw_designs, stream_seed
from planner.space import FloatParameter, ParameterValue, coerce_value
from planner.strategies.candidate_bo import MAX_CANDIDATES, CandidateBayesianOptimization
from planner.strategies.model_free import SobolStrategy

MIN_INITIAL_DESIGNS = 5
EXCLUSION_RETRIES = 2


@register("bo")
class AxBayesianOptimization:
    """Gaussian-process Bayesian optimization through ``ax.Client``."""

    name = "bo"

    def __init__(
        self,
        initial_designs: int | None = None,
        failures: Literal["ignore", "avoid"] = "ignore",
        max_candidates: int = MAX_CANDIDATES,
    ) -> None:
        """Create the strategy.

        Args:
            initial_designs: Sobol designs before the model takes over (ranges only);
                by default ``max(5, number of parameters + 1)``.
            failures: For candidate sets, whether to learn where experiments fail
                (``"avoid"``) or only never repeat them (``"ignore"``).
            max_candidates: Discrete spaces up to this size are optimized by
                scoring every design.
        """
        if initial_designs is not None and initial_designs < 1:
            raise ValueError(f"initial_designs must be positive, got {initial_designs}")
        self.initial_designs = initial_designs
        self.max_candidates = max_candidates
        self._candidates = CandidateBayesianOptimization(
            failures=failures, max_candidates=max_candidates
        )
        self._candidates.name = self.name

    @property
    def surrogate_options(self) -> SurrogateOptions:
        """How the outcome models over candidate sets are built (the candidate strategy's)."""
        return self._candidates.surrogate_options

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Propose ``n`` designs: candidate scoring, Sobol initialization, or Ax's model."""
        if problem.candidates is not None or self._listable(problem):
            return self._candidates.suggest(problem, observations, pending, n, seed)
        init = self.initial_designs or max(MIN_INITIAL_DESIGNS, len(problem.space.parameters) + 1)
        if len(completed(observations)) < init:
            sobol = SobolStrategy().suggest(problem, observations, pending, n, seed)
            return Proposal(
                sobol.suggestions, ModelReport(self.name, 0, {"generator": "sobol init"})
            )
        with quiet_info_logs():  # importing Ax logs at INFO
            from planner.ax_setup import quiet_ax

        with quiet_ax():
            return _model_based(problem, observations, pending, n, seed, self.name)

    def _listable(self, problem: Problem) -> bool:
        space = problem.space
        return space.is_discrete and space.discrete_size() <= self.max_candidates


def _model_based(
    problem: Problem,
    observations: Sequence[Observation],
    pending: Sequence[Design],
    n: int,
    seed: int,
    name: str,
) -> Proposal:
    from planner import ax_setup

    client = ax_setup.new_client(problem, seed + len(observations) + len(pending))
    ax_setup.attach(client, problem, observations, pending)
    designs = _ask(client, problem, n, seed)
    short = n - len(designs)
    if short:
        designs += _random_fill(problem, observations, pending, designs, short, seed)
    predictions = ax_setup.predict(client, designs)
    generator = "ax:MBM" + (f" (+{short} random: exclusions)" if short else "")
    suggestions = [
        Suggestion(parameters=d, predictions=p, generator=generator)
        for d, p in zip(designs, predictions, strict=True)
    ]
    diagnostics = {
        "generator": generator,
        **ax_setup.cross_validation(client, problem, len(completed(observations))),
    }
    return Proposal(suggestions, ModelReport(name, len(completed(observations)), diagnostics))


def _random_fill(
    problem: Problem,
    observations: Sequence[Observation],
    pending: Sequence[Design],
    designs: list[dict[str, ParameterValue]],
    count: int,
    seed: int,
) -> list[dict[str, ParameterValue]]:
    """Random allowed designs for what exclusions kept Ax from proposing (same fixed values)."""
    space = problem.space
    used = [*[o.parameters for o in observations], *pending, *designs]
    rng = np.random.default_rng(stream_seed(seed, len(used)))
    fixed = {k: designs[0][k] for k in space.fixed_per_batch} if designs else None
    return draw_designs(
        space, lambda m: rng.random((m, len(space.parameters))), count, exclude=used, fixed=fixed
    )


def _ask(client: Any, problem: Problem, n: int, seed: int) -> list[dict[str, ParameterValue]]:
    """Ask Ax for ``n`` allowed designs; fewer if exclusions keep rejecting them."""
    from planner import ax_setup

    space = problem.space
    designs: list[dict[str, ParameterValue]] = []
    fixed: dict[str, ParameterValue] | None = None
    for _ in range(EXCLUSION_RETRIES + 1):
        wanted = n - len(designs)
        if wanted == 0:
            break
        batches = [1, wanted - 1] if space.fixed_per_batch and fixed is None else [wanted]
        for size in (b for b in batches if b > 0):
            for index, params in _trials(client, size, fixed).items():
                design = from_ax(problem, params)
                if space.exclusion_hit(design) is not None:
                    client.mark_trial_abandoned(index)
                    continue
                designs.append(design)
                if space.fixed_per_batch and fixed is None:
                    fixed = {k: design[k] for k in space.fixed_per_batch}
                    options = ax_setup.optimizer_options(space, space.fixed_per_batch)
                    ax_setup.use_optimizer(client, seed, options)
    if not designs and not space.exclusions:
        raise PlannerError("Ax proposed no designs: the space may be exhausted")
    return designs


def _trials(
    client: Any, size: int, fixed: Mapping[str, ParameterValue] | None
) -> dict[int, Mapping[str, Any]]:
    if fixed is None:
        return dict(client.get_next_trials(max_trials=size))
    return dict(client.get_next_trials(max_trials=size, fixed_parameters=dict(fixed)))


def from_ax(problem: Problem, params: Mapping[str, Any]) -> dict[str, ParameterValue]:
    """A design from Ax's parameterization, clipped into bounds and typed."""
    out: dict[str, ParameterValue] = {}
    for p in problem.space.parameters:
        value = params[p.name]
        if isinstance(p, FloatParameter):
            value = min(max(float(value), p.lower), p.upper)
        out[p.name] = coerce_value(p, value)
    return out


def finite_predictions(raw: Mapping[str, tuple[float, float]]) -> dict[str, Prediction]:
    """Predictions with finite mean and sd."""
    return {
        name: Prediction(float(m), float(s))
        for name, (m, s) in raw.items()
        if math.isfinite(m) and math.isfinite(s)
    }


__all__ = ["AxBayesianOptimization", "finite_predictions", "from_ax"]
