"""The planner: search spaces, objectives and strategies. Pure: no I/O, no global RNG.

The one entry point is :func:`suggest`::

    proposal = suggest(problem, observations, pending, n=4, seed=7, strategy="bo")
"""

from collections.abc import Mapping, Sequence
from typing import Any

from planner.candidates import CandidateSet
from planner.catalog import get_strategy, strategy_names, strategy_options, surrogate_options
from planner.errors import InfeasibleSpaceError, PlannerError, UnknownStrategyError
from planner.objectives import Objective, OutcomeConstraint
from planner.problem import (
    Design,
    ModelReport,
    Observation,
    Prediction,
    Problem,
    Proposal,
    Suggestion,
)
from planner.registry import register
from planner.space import (
    CategoricalParameter,
    Exclusion,
    FloatParameter,
    IntParameter,
    LinearConstraint,
    MoleculeParameter,
    OrdinalParameter,
    Parameter,
    SearchSpace,
)
from planner.warmstart import observations_from_table


def suggest(
    problem: Problem,
    observations: Sequence[Observation],
    pending: Sequence[Design],
    n: int,
    seed: int,
    strategy: str = "bo",
    options: Mapping[str, Any] | None = None,
) -> Proposal:
    """Propose ``n`` designs with the strategy registered as ``strategy``.

    Args:
        problem: Search space, objectives and outcome constraints.
        observations: Executed designs and their measured values.
        pending: Designs in flight, which must not be proposed again.
        n: Batch size (>= 1).
        seed: Seed for all randomness; equal inputs give equal proposals.
        strategy: Registered strategy name (see :func:`strategy_names`).
        options: The strategy's options (see :func:`strategy_options`).

    Raises:
        UnknownStrategyError: ``strategy`` is not registered.
        PlannerError: ``n`` < 1, an unknown option, or the strategy cannot propose.
    """
    if n < 1:
        raise PlannerError(f"n must be at least 1, got {n}")
    return get_strategy(strategy, options).suggest(problem, observations, pending, n, seed)


__all__ = [
    "CandidateSet",
    "CategoricalParameter",
    "Design",
    "Exclusion",
    "FloatParameter",
    "InfeasibleSpaceError",
    "IntParameter",
    "LinearConstraint",
    "ModelReport",
    "MoleculeParameter",
    "Objective",
    "Observation",
    "OrdinalParameter",
    "OutcomeConstraint",
    "Parameter",
    "PlannerError",
    "Prediction",
    "Problem",
    "Proposal",
    "SearchSpace",
    "Suggestion",
    "UnknownStrategyError",
    "get_strategy",
    "observations_from_table",
    "register",
    "strategy_names",
    "strategy_options",
    "suggest",
    "surrogate_options",
]
