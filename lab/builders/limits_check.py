"""Checks of a loaded campaign against its lab before anything is stored (pure functions).

Each check returns problems as ``(yaml path, message)``; :func:`campaign_problems`
gathers them and the loader turns them into ``file:line: path: message`` lines.

- the budget is within :data:`MAX_BUDGET`;
- masses, densities and concentrations are positive;
- device limits hold over the whole parameter box: every corner of the
  numeric parameters is built into a protocol and checked against the lab's
  limits (heater range, pump maxima, valve positions), and for a plate, a full
  batch of corner designs must fit the deck (stock volumes, tips, wells).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from lab.builders.capabilities import BuildsPlates, DesignBuilder
from lab.specs.campaign import CampaignSpec, FlowProtocolSpec
from planner import Problem
from planner.parameters import FloatParameter, IntParameter, OrdinalParameter, Parameter
from planner.space import ParameterValue
from protocols.errors import ProtocolError
from protocols.validation import DeviceLimits, violations

MAX_BUDGET = 100_000
"""Most experiments one campaign may plan (far beyond any lab's throughput)."""
MAX_CORNERS = 256
"""Corners checked at most (the lower and upper bound of up to 8 numeric parameters)."""

Problem_ = tuple[str, str]


def budget_problem(budget: int, completed: int = 0) -> str | None:
    """Why ``budget`` is not acceptable, or ``None``.

    Args:
        budget: Requested number of experiments.
        completed: Experiments already counted against the budget (on resume).
    """
    if budget < 1:
        return f"must be at least 1, got {budget:,}"
    if budget > MAX_BUDGET:
        return f"must be at most {MAX_BUDGET:,}, got {budget:,}"
    if budget < completed:
        return (
            f"{budget} is below the {completed} experiment(s) already run; give at least "
            f"{completed}"
        )
    return None


MAX_POLL_S = 3600.0
"""Longest wait between looks at the datastore."""


def poll_problem(poll_s: float) -> str | None:
    """Why ``poll_s`` is not an acceptable polling interval, or ``None`` (refuses nan)."""
    if 0 < poll_s <= MAX_POLL_S:
        return None
    return f"must be a number of seconds in (0, {MAX_POLL_S:g}], got {poll_s}; e.g. --poll 2"


def positive_quantities(spec: CampaignSpec) -> list[Problem_]:
    """Molar masses of a flow readout must be positive (densities are checked by the model)."""
    flow = spec.protocol if isinstance(spec.protocol, FlowProtocolSpec) else None
    masses = flow.readout.molar_masses_g_mol if flow else {}
    return [
        (f"protocol.readout.molar_masses_g_mol.{species}", f"must be > 0 g/mol, got {mass:g}")
        for species, mass in masses.items()
        if not mass > 0
    ]


def lab_quantities(lab: Any) -> list[Problem_]:
    """Stock concentrations and volumes on every deck must be positive and finite."""
    problems: list[Problem_] = []
    for index, device in enumerate(lab.devices):
        factors = device.setting("response_factors_mol_l_per_area")
        if not isinstance(factors, dict):
            continue
        problems += [
            (f"devices[{index}].response_factors_mol_l_per_area.{k}", "must be > 0")
            for k, v in factors.items()
            if not v > 0
        ]
    return problems


def corners(problem: Problem) -> Iterator[dict[str, ParameterValue]]:
    """Feasible designs at the corners of the numeric parameters (others at their first value)."""
    space = problem.space
    numeric, fixed = [], {}
    for parameter in space.parameters:
        low, high = _extremes(parameter)
        if low is None:
            continue
        if low == high:
            fixed[parameter.name] = low
        else:
            numeric.append((parameter.name, (low, high)))
    for values in itertools.islice(itertools.product(*(v for _, v in numeric)), MAX_CORNERS):
        names = [name for name, _ in numeric]
        design = {**fixed, **dict(zip(names, values, strict=True))}
        if space.is_feasible(design):
            yield design


def _extremes(parameter: Parameter) -> tuple[Any, Any]:
    """The lowest and highest value of a numeric parameter, else its first value twice."""
    if isinstance(parameter, FloatParameter | IntParameter):
        return parameter.lower, parameter.upper
    if isinstance(parameter, OrdinalParameter):
        levels = parameter.levels
        if all(isinstance(v, int | float) for v in levels):
            return min(levels), max(levels)
        return levels[0], levels[0]
    first = next(iter(parameter.choices), None)
    return first, first


def device_limit_problems(
    builder: DesignBuilder, problem: Problem, limits: Mapping[str, DeviceLimits], batch_size: int
) -> list[Problem_]:
    """Device limits broken anywhere in the parameter box (one line per distinct limit)."""
    found: dict[str, str] = {}
    for design in corners(problem):
        try:
            protocol = builder.build(design, "limits-check")
        except ProtocolError:
            continue  # an impossible design fails its experiment; not a limit of the lab
        for violation in violations(protocol, limits):
            found.setdefault(_limit_of(violation), f"{violation} at {_describe(design)}")
        if isinstance(builder, BuildsPlates) and batch_size > 1:
            found.update(_plate_problems(builder, design, batch_size, found))
    return [
        ("parameters", f"{message}; narrow the bounds or fix the lab file")
        for message in found.values()
    ]


def _plate_problems(
    builder: BuildsPlates,
    design: Mapping[str, ParameterValue],
    batch_size: int,
    found: Mapping[str, str],
) -> dict[str, str]:
    batch = min(batch_size, builder.plate_capacity())
    try:
        builder.build_plate([(n, design) for n in range(1, batch + 1)], "limits-check")
    except ProtocolError as exc:
        key = f"deck:{str(exc).split(':')[0]}"
        if key not in found:
            return {key: f"a batch of {batch} at {_describe(design)} does not fit the deck: {exc}"}
    return {}


def _limit_of(violation: str) -> str:
    """The device-and-limit part of a violation (the step number and value dropped)."""
    text = violation.split(": ", 1)[-1]
    words = text.split()
    return " ".join(w for w in words if not any(ch.isdigit() for ch in w))


def _describe(design: Mapping[str, ParameterValue]) -> str:
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in design.items()
    )


def campaign_problems(loaded: Any) -> list[Problem_]:
    """Every problem of a loaded campaign and its lab found by the checks above."""
    spec = loaded.spec
    problems = [("budget", p) for p in [budget_problem(spec.budget)] if p]
    problems += positive_quantities(spec)
    problems += [(f"lab: {where}", message) for where, message in lab_quantities(loaded.lab)]
    limits = loaded.lab.limits()
    return problems + device_limit_problems(loaded.builder, loaded.problem, limits, spec.batch_size)


def check_campaign(loaded: Any, tree: Any) -> None:
    """Raise one ``file:line: path: message`` line per problem of :func:`campaign_problems`.

    Raises:
        SpecError: At least one problem was found.
    """
    from lab.specs.yamlio import SpecError, locate

    problems = campaign_problems(loaded)
    if problems:
        raise SpecError("\n".join(f"{locate(loaded.path, tree, w)}: {m}" for w, m in problems))
