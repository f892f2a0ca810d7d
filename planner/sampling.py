"""Model-free designs: map points of the unit cube onto a search space.

Every parameter takes one dimension of the cube: ranges are scaled (on a log
scale if asked), integers and choices are binned. Points that break a linear
constraint are rejected; in spaces with only discrete parameters, designs
already observed or pending are skipped so a batch never repeats them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from planner.errors import InfeasibleSpaceError
from planner.space import (
    FloatParameter,
    IntParameter,
    Parameter,
    ParameterValue,
    SearchSpace,
    choices_of,
)

UnitSampler = Callable[[int], npt.NDArray[np.float64]]
"""Returns ``m`` points of the unit cube as an ``(m, d)`` array."""

MAX_DRAWS_PER_DESIGN = 2000


def from_unit(parameter: Parameter, u: float) -> ParameterValue:
    """Map ``u`` in [0, 1] to a value of ``parameter``."""
    u = min(max(u, 0.0), 1.0)
    if isinstance(parameter, FloatParameter):
        if parameter.log_scale:
            low, high = math.log(parameter.lower), math.log(parameter.upper)
            return float(min(math.exp(low + u * (high - low)), parameter.upper))
        return float(parameter.lower + u * (parameter.upper - parameter.lower))
    if isinstance(parameter, IntParameter):
        if parameter.log_scale:
            low, high = math.log(parameter.lower), math.log(parameter.upper + 1)
            value = math.floor(math.exp(low + u * (high - low)))
        else:
            value = parameter.lower + math.floor(u * (parameter.upper - parameter.lower + 1))
        return min(max(value, parameter.lower), parameter.upper)
    options = choices_of(parameter)
    return options[min(int(u * len(options)), len(options) - 1)]


def design_from_unit(space: SearchSpace, point: Sequence[float]) -> dict[str, ParameterValue]:
    """Map one point of the ``d``-dimensional unit cube to a design."""
    return {p.name: from_unit(p, float(u)) for p, u in zip(space.parameters, point, strict=True)}


def design_key(design: Mapping[str, ParameterValue], names: Iterable[str]) -> tuple[str, ...]:
    """Return a hashable key of a design, used to find repeats."""
    return tuple(repr(design[name]) for name in names)


def draw_designs(
    space: SearchSpace,
    sampler: UnitSampler,
    n: int,
    exclude: Iterable[Mapping[str, ParameterValue]] = (),
    skip: int = 0,
    fixed: Mapping[str, ParameterValue] | None = None,
) -> list[dict[str, ParameterValue]]:
    """Draw ``n`` feasible designs from ``sampler``, skipping repeats in discrete spaces.

    ``skip`` feasible points are passed over first: a low-discrepancy sequence
    drawn from its start with ``skip`` = designs already made continues exactly
    where the previous call stopped, whatever the constraints rejected.
    ``fixed`` values replace those drawn for their parameters (fixed-per-batch
    parameters after the first design of a batch).

    Raises:
        InfeasibleSpaceError: Too few feasible designs were found; the message
            says whether constraints or exhaustion of a discrete space is why.
    """
    discrete = space.is_discrete
    seen = {design_key(d, space.names) for d in exclude} if discrete else set()
    designs: list[dict[str, ParameterValue]] = []
    draws, skipped = 0, 0
    budget = MAX_DRAWS_PER_DESIGN * max(n + skip, 1)
    while len(designs) < n and draws < budget:
        batch = sampler(max(2 * (n + skip - skipped - len(designs)), 16))
        draws += len(batch)
        for point in batch:
            design = {**design_from_unit(space, point), **(fixed or {})}
            if not space.satisfies_constraints(design):
                continue
            if skipped < skip:
                skipped += 1
                continue
            key = design_key(design, space.names)
            if discrete and key in seen:
                continue
            seen.add(key)
            designs.append(design)
            if len(designs) == n:
                break
    if len(designs) < n:
        raise InfeasibleSpaceError(_shortfall_message(space, n, len(designs), draws, discrete))
    return designs


def _shortfall_message(
    space: SearchSpace, wanted: int, found: int, draws: int, discrete: bool
) -> str:
    if discrete and not space.constraints and not space.exclusions:
        return (
            f"the discrete space has {space.discrete_size()} designs and all but {found} are "
            f"already used; asked for {wanted}. Lower the budget or widen the space"
        )
    constraints = "; ".join(
        [c.text or str(c.coefficients) for c in space.constraints]
        + [f"not ({e})" for e in space.exclusions]
    )
    return (
        f"found only {found} of {wanted} designs satisfying the constraints ({constraints}) "
        f"in {draws} random draws: the feasible region is empty or tiny; relax the "
        "constraints or widen the bounds"
    )


def stream_seed(seed: int, n_seen: int) -> np.random.SeedSequence:
    """Return the seed sequence for a call that has already seen ``n_seen`` designs.

    Making the stream depend on how many designs exist keeps a strategy pure:
    a campaign that is stopped and resumed proposes what it would have anyway.
    """
    return np.random.SeedSequence([seed, n_seen])
