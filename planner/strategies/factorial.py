"""Full factorial designs: every combination of levels, in order, never repeated."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

import numpy as np

from planner.candidates import CandidateSet
from planner.errors import InfeasibleSpaceError, PlannerError
from planner.problem import Design, ModelReport, Observation, Problem, Proposal, Suggestion
from planner.registry import register
from planner.sampling import design_key
from planner.space import (
    FloatParameter,
    Parameter,
    ParameterValue,
    SearchSpace,
    choices_of,
)


def levels_of(parameter: Parameter, levels: int | None) -> tuple[ParameterValue, ...]:
    """Return the levels a factorial design visits for ``parameter``.

    Discrete parameters visit every value; a continuous range is split into
    ``levels`` evenly spaced values (geometrically spaced on a log scale).

    Raises:
        PlannerError: A continuous range and no ``levels``.
    """
    if not isinstance(parameter, FloatParameter):
        return choices_of(parameter)
    if levels is None:
        raise PlannerError(
            f"strategy 'factorial' needs discrete parameters; {parameter.name!r} is a "
            "continuous range (give the option levels=k to split ranges into k levels, "
            "or declare it as an ordinal parameter)"
        )
    if parameter.log_scale:
        grid = np.geomspace(parameter.lower, parameter.upper, levels)
    else:
        grid = np.linspace(parameter.lower, parameter.upper, levels)
    return tuple(float(v) for v in grid)


def factorial_designs(
    space: SearchSpace, levels: int | None
) -> Iterator[dict[str, ParameterValue]]:
    """Yield every feasible combination, the first parameter varying slowest."""
    grids = [levels_of(p, levels) for p in space.parameters]
    for combination in itertools.product(*grids):
        design = dict(zip(space.names, combination, strict=True))
        if space.satisfies_constraints(design):
            yield design


@register("factorial")
class FullFactorialStrategy:
    """Runs a full factorial design in standard order, batch after batch.

    Each call proposes the next ``n`` combinations not yet observed or pending,
    so a campaign walks the whole grid once. Over a candidate table, the rows
    are taken in table order. Fixed-per-batch parameters keep the values of the
    batch's first design.
    """

    name = "factorial"

    def __init__(self, levels: int | None = None) -> None:
        """Create the strategy.

        Args:
            levels: Levels per continuous range (at least 2); without it the space
                must be discrete.
        """
        if levels is not None and levels < 2:
            raise ValueError(f"levels must be at least 2, got {levels}")
        self.levels = levels

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Propose the next ``n`` unused combinations (``seed`` is not used)."""
        space = problem.space
        used = {design_key(d, space.names) for d in [o.parameters for o in observations]}
        used |= {design_key(d, space.names) for d in pending}
        designs = _next_designs(self._stream(problem), space, used, n)
        if not designs:
            raise InfeasibleSpaceError(
                f"the full factorial design is complete: all {self._size(problem)} "
                "combinations have been proposed"
            )
        return Proposal(
            suggestions=[Suggestion(parameters=d, generator=self.name) for d in designs],
            report=ModelReport(
                strategy=self.name, n_train=0, diagnostics={"generator": "factorial"}
            ),
        )

    def _stream(self, problem: Problem) -> Iterator[dict[str, ParameterValue]]:
        if problem.candidates is not None:
            return iter(problem.candidates.rows())
        return factorial_designs(problem.space, self.levels)

    def _size(self, problem: Problem) -> int:
        if isinstance(problem.candidates, CandidateSet):
            return len(problem.candidates)
        return math.prod(len(levels_of(p, self.levels)) for p in problem.space.parameters)


def _next_designs(
    stream: Iterator[dict[str, ParameterValue]],
    space: SearchSpace,
    used: set[tuple[str, ...]],
    n: int,
) -> list[dict[str, ParameterValue]]:
    """Take the next ``n`` unused designs; later ones share the first's fixed values."""
    designs: list[dict[str, ParameterValue]] = []
    fixed: dict[str, ParameterValue] = {}
    for design in stream:
        if design_key(design, space.names) in used:
            continue
        if any(design[name] != value for name, value in fixed.items()):
            continue
        designs.append(design)
        fixed = {name: design[name] for name in space.fixed_per_batch}
        if len(designs) == n:
            break
    return designs
