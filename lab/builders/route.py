"""The ``route`` builder: a design picks an approved route and its steps' conditions.

Parameters of a route campaign (built by :func:`route_parameters` from the
approved routes' per-step condition spaces):

- ``route``: which approved route (a categorical, when there are several);
- ``s<i>_temperature_c``, ``s<i>_equivalents``, ``s<i>_time_min``,
  ``s<i>_solvent`` for step *i* of whichever route is chosen: each range is the
  union over the routes that have a step *i*, the temperature capped at the
  heater-shaker's limit, the solvent classes limited to those the lab holds.
  A condition a chemist fixed in the recipe overrides the design. Times and
  equivalents are searched on a log scale (they span one to two decades).

Each design is compiled to the one-pot batch program (liquid handler +
heater-shaker) and pre-flighted; the station then runs the recipe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from datastore.repository import MeasuredValue
from lab.builders.errors import BuildConfigError, check_station
from lab.devices.lab_spec import LabSpec
from lab.specs.route import ApprovedRoute, RouteProtocolSpec
from planner import Parameter
from planner.parameters import CategoricalParameter, FloatParameter
from planner.space import ParameterValue
from protocols.deck import Deck
from protocols.errors import ProtocolError
from protocols.protocol import Protocol
from protocols.route_batch import HeaterShakerSetup, compile_batch
from protocols.route_recipe import StageConditions
from protocols.steps import RunConditions
from routes.model import Route, RouteStep

ROUTE_PARAMETER = "route"
QUANTITIES = ("temperature_c", "equivalents", "time_min")
UNITS = {"temperature_c": "degC", "equivalents": "equiv", "time_min": "min"}


def _name(number: int, quantity: str) -> str:
    return f"s{number}_{quantity}"


def _slot_steps(routes: tuple[ApprovedRoute, ...], number: int) -> list[RouteStep]:
    return [r.route.steps[number - 1] for r in routes if r.route.step_count >= number]


def _range(steps: list[RouteStep], quantity: str, cap: float | None) -> tuple[float, float] | None:
    free = [s for s in steps if getattr(s.recipe, quantity) is None]
    if not free:
        return None
    low = min(getattr(s.conditions, quantity)[0] for s in free)
    high = max(getattr(s.conditions, quantity)[1] for s in free)
    if cap is not None:
        high = min(high, cap)
    if not low < high:
        raise BuildConfigError(
            "protocol.routes",
            f"{quantity} of the step: range {low:g}-{high:g} is empty under the lab's limit",
        )
    return low, high


def _solvents(steps: list[RouteStep], held: set[str], number: int) -> tuple[str, ...] | None:
    free = [s for s in steps if s.recipe.solvent is None]
    if not free:
        return None
    choices = tuple(dict.fromkeys(c for s in free for c in s.conditions.solvents if c in held))
    if not choices:
        wanted = sorted({c for s in free for c in s.conditions.solvents})
        raise BuildConfigError(
            "lab.reagents",
            f"step {number}: the lab holds no solvent of class {', '.join(wanted)}; add one "
            "with its solvent_class",
        )
    return choices


def route_parameters(
    routes: tuple[ApprovedRoute, ...], lab: LabSpec, setup: HeaterShakerSetup
) -> tuple[Parameter, ...]:
    """The joint search space of the approved routes on ``lab``.

    Raises:
        BuildConfigError: A step's range is empty under the device limit, or the
            lab holds no solvent a step allows.
    """
    held = {r.solvent_class for r in lab.reagents if r.solvent_class is not None}
    parameters: list[Parameter] = []
    if len(routes) > 1:
        parameters.append(
            CategoricalParameter(name=ROUTE_PARAMETER, choices=tuple(r.label for r in routes))
        )
    for number in range(1, max(r.route.step_count for r in routes) + 1):
        steps = _slot_steps(routes, number)
        for quantity in QUANTITIES:
            cap = setup.max_temperature_c if quantity == "temperature_c" else None
            bounds = _range(steps, quantity, cap)
            if bounds is not None:
                parameters.append(
                    FloatParameter(
                        name=_name(number, quantity),
                        bounds=bounds,
                        unit=UNITS[quantity],
                        log_scale=quantity != "temperature_c" and bounds[0] > 0,
                    )
                )
        solvents = _solvents(steps, held, number)
        if solvents is not None:
            parameters.append(CategoricalParameter(name=_name(number, "solvent"), choices=solvents))
    return tuple(parameters)


def step_conditions(route: Route, design: Mapping[str, ParameterValue]) -> list[StageConditions]:
    """Each step's conditions: the recipe's fixed values, else the design's."""
    chosen = []
    for number, step in enumerate(route.steps, start=1):
        values: dict[str, object] = {}
        for quantity in (*QUANTITIES, "solvent"):
            fixed = getattr(step.recipe, quantity)
            values[quantity] = fixed if fixed is not None else design[_name(number, quantity)]
        chosen.append(StageConditions.model_validate(values))
    return chosen


def station_conditions(route: Route, chosen: list[StageConditions]) -> dict[str, str | float]:
    """What the route-world station is told: every step's class, reaction and conditions."""
    conditions: dict[str, str | float] = {"steps": float(route.step_count)}
    for number, (step, c) in enumerate(zip(route.steps, chosen, strict=True), start=1):
        conditions |= {
            _name(number, "class"): step.template_class,
            _name(number, "reaction"): step.reaction_smiles,
            _name(number, "solvents"): "|".join(step.conditions.solvents),
            _name(number, "temperature_c"): float(c.temperature_c),
            _name(number, "equivalents"): float(c.equivalents),
            _name(number, "time_min"): float(c.time_min),
            _name(number, "solvent"): c.solvent,
        }
    return conditions


class RouteBuilder:
    """Designs to pre-flighted batch recipes run on the route station; yields to measurements."""

    def __init__(self, spec: RouteProtocolSpec, lab: LabSpec, parameter_names: list[str]) -> None:
        """Check the station, the liquid handler and the parameters.

        Raises:
            BuildConfigError: Naming the key at fault.
        """
        self.spec = spec
        self.lab = lab
        self.deck = _deck(spec, lab)
        check_station(lab, spec.station)
        wanted = [p.name for p in route_parameters(spec.routes, lab, spec.heater_shaker)]
        missing = sorted(set(wanted) - set(parameter_names))
        if missing:
            raise BuildConfigError(
                "parameters", f"the routes need parameter(s) {', '.join(missing)}"
            )
        self.routes = {r.label: r for r in spec.routes}

    def outputs(self) -> list[str]:
        """The route's yield and every step's."""
        steps = max(r.route.step_count for r in self.spec.routes)
        return ["yield_pct", *(f"s{i}_yield_pct" for i in range(1, steps + 1))]

    def chosen(self, design: Mapping[str, ParameterValue]) -> ApprovedRoute:
        """The approved route a design runs."""
        if len(self.spec.routes) == 1:
            return self.spec.routes[0]
        label = str(design[ROUTE_PARAMETER])
        if label not in self.routes:
            raise ProtocolError(f"no approved route {label!r}; routes: {', '.join(self.routes)}")
        return self.routes[label]

    def build(self, design: Mapping[str, ParameterValue], name: str) -> Protocol:
        """Compile and pre-flight the design's recipe, then hand it to the station."""
        approved = self.chosen(design)
        chosen = step_conditions(approved.route, design)
        program = compile_batch(
            approved.route, chosen, self.lab.reagents, self.deck, self.spec.heater_shaker, name
        )
        step = RunConditions(
            device=self.spec.station, conditions=station_conditions(approved.route, chosen)
        )
        return Protocol(
            name=name,
            steps=(step,),
            metadata={
                "builder": "route",
                "route": approved.label,
                "route_version_id": approved.version_id,
                "conditions": [c.model_dump() for c in chosen],
                "batch_program_sha256": hashlib.sha256(program.text.encode()).hexdigest(),
                "batch_additions": len([a for stage in program.stages for a in stage]),
            },
        )

    def measurements(
        self, protocol: Protocol, readings: Mapping[str, float]
    ) -> list[MeasuredValue]:
        """Every yield the station reported, in %."""
        return [MeasuredValue(k, float(v), "%") for k, v in readings.items() if k in self.outputs()]


def _deck(spec: RouteProtocolSpec, lab: LabSpec) -> Deck:
    kinds = {d.name: d for d in lab.devices}
    device = kinds.get(spec.liquid_handler)
    if device is None or device.kind != "liquid_handler" or device.deck is None:
        handlers = [n for n, d in kinds.items() if d.kind == "liquid_handler"]
        raise BuildConfigError(
            "protocol.liquid_handler",
            f"lab {lab.name!r} has no liquid handler {spec.liquid_handler!r}; "
            f"its liquid handlers: {', '.join(handlers) or 'none'}",
        )
    return device.deck


def route_optimum(
    routes: tuple[ApprovedRoute, ...], parameters: tuple[Parameter, ...], seed: int = 0
) -> tuple[str, float]:
    """The best route of the route world inside the campaign's space, and its yield in %.

    Each step's optimum is searched over its slot's parameter ranges (or the
    recipe's fixed value); the route's yield is the product of its steps'.
    """
    from simulators.route_world import RouteWorld, StepSpace

    world = RouteWorld(seed=seed)
    by_name = {p.name: p for p in parameters}
    best = ("", 0.0)
    for approved in routes:
        total = 1.0
        for number, step in enumerate(approved.route.steps, start=1):
            response = world.response(
                step.template_class, step.reaction_smiles, step.conditions.solvents
            )
            space = StepSpace(
                temperature_c=_bounds(by_name, step, number, "temperature_c"),
                equivalents=_bounds(by_name, step, number, "equivalents"),
                time_min=_bounds(by_name, step, number, "time_min"),
                solvents=_choices(by_name, step, number),
            )
            total *= response.optimum(space)[1]
        if 100.0 * total > best[1]:
            best = (approved.label, 100.0 * total)
    return best


def _bounds(
    by_name: Mapping[str, Parameter], step: RouteStep, number: int, quantity: str
) -> tuple[float, float]:
    fixed = getattr(step.recipe, quantity)
    if fixed is not None:
        return (float(fixed), float(fixed) + 1e-9)
    parameter = by_name[_name(number, quantity)]
    assert isinstance(parameter, FloatParameter)
    return parameter.bounds


def _choices(by_name: Mapping[str, Parameter], step: RouteStep, number: int) -> tuple[str, ...]:
    if step.recipe.solvent is not None:
        return (step.recipe.solvent,)
    parameter = by_name[_name(number, "solvent")]
    assert isinstance(parameter, CategoricalParameter)
    return parameter.choices
