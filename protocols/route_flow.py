"""Compile a recipe to a telescoped flow program: one reactor module per step.

The stream leaving module *k* flows straight into module *k + 1*, where the
next step's reactants and reagents join it from their pumps. For a molar
flow ``n`` of the limiting reactant (``concentration_mol_l`` × the first
module's total flow), each pump delivers ``equivalents · n / stock``; the
module's total flow is its volume over its residence time, and the step's
solvent pump makes up the difference. The program heats every module, sets
every pump, waits for steady state over the whole train, and analyzes the
outlet in-line.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from protocols.inventory import ReagentSpec
from protocols.protocol import Protocol
from protocols.route_recipe import RecipeError, Stage, StageConditions, resolve
from protocols.steps import Measure, SetFlowRate, SetTemperature, Step, WaitSteadyState
from protocols.validation import DeviceLimits, violations
from routes.model import Route


class ReactorModule(BaseModel):
    """One reactor module of the train: its volume and the heater that holds its temperature."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    volume_ml: float = Field(gt=0)
    heater: str


class FlowTrain(BaseModel):
    """The telescoped set-up: modules in order, the in-line analyzer, the inlet concentration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    modules: tuple[ReactorModule, ...] = Field(min_length=1)
    analyzer: str
    concentration_mol_l: float = Field(default=0.2, gt=0)
    steady_state_volumes: float = Field(default=3.0, gt=0)


def _stage_flows(stage: Stage, molar_flow_mol_min: float) -> dict[str, float]:
    flows: dict[str, float] = {}
    for charge in stage.charges:
        pump = charge.reagent.position
        assert charge.reagent.concentration_mol_l is not None  # a species, not a neat solvent
        rate = charge.equivalents * molar_flow_mol_min / charge.reagent.concentration_mol_l
        flows[pump] = flows.get(pump, 0.0) + rate * 1000.0  # L/min -> mL/min
    return flows


def _module_flows(stages: list[Stage], train: FlowTrain) -> tuple[dict[str, float], list[float]]:
    first = train.modules[0].volume_ml / stages[0].conditions.time_min  # mL/min
    molar = train.concentration_mol_l * first / 1000.0  # mol/min
    flows: dict[str, float] = {}
    upstream = 0.0
    totals = []
    for stage, module in zip(stages, train.modules, strict=True):
        total = module.volume_ml / stage.conditions.time_min
        added = _stage_flows(stage, molar)
        solvent = total - upstream - sum(added.values())
        if solvent < -1e-9 * total:
            raise RecipeError(
                f"step {stage.number}",
                f"a residence time of {stage.conditions.time_min:g} min in {module.volume_ml:g} "
                f"mL needs {total:.4g} mL/min, but the incoming stream and feeds already carry "
                f"{upstream + sum(added.values()):.4g} mL/min; use more concentrated stocks, a "
                "larger module or a shorter time",
            )
        added[stage.solvent.position] = added.get(stage.solvent.position, 0.0) + max(solvent, 0.0)
        for pump, rate in added.items():
            flows[pump] = flows.get(pump, 0.0) + rate
        upstream = total
        totals.append(total)
    return flows, totals


def compile_flow(
    route: Route,
    conditions: list[StageConditions],
    inventory: tuple[ReagentSpec, ...],
    train: FlowTrain,
    limits: Mapping[str, DeviceLimits],
    name: str,
) -> Protocol:
    """Compile ``route`` at ``conditions`` to a telescoped flow protocol, pre-flighted.

    Raises:
        RecipeError: A species the inventory lacks, a module count that does not
            match the steps, impossible flows, a feed that is not a pump, or a
            flow or temperature beyond a device's limit.
    """
    if len(train.modules) != route.step_count:
        raise RecipeError(
            "flow train", f"{len(train.modules)} reactor modules for {route.step_count} steps"
        )
    stages = resolve(route, conditions, inventory)
    flows, totals = _module_flows(stages, train)
    for pump in flows:
        if limits.get(pump) is None or limits[pump].kind != "pump":
            raise RecipeError("reagents", f"position {pump!r} is not a pump of this lab")
    steps: list[Step] = [
        SetTemperature(device=m.heater, temperature_c=s.conditions.temperature_c)
        for m, s in zip(train.modules, stages, strict=True)
    ]
    steps += [SetFlowRate(device=pump, flow_rate_ml_min=rate) for pump, rate in flows.items()]
    train_min = sum(m.volume_ml / q for m, q in zip(train.modules, totals, strict=True))
    steps.append(
        WaitSteadyState(reactor_volumes=train.steady_state_volumes, residence_time_min=train_min)
    )
    steps.append(Measure(device=train.analyzer, label="outlet"))
    protocol = Protocol(
        name=name,
        steps=tuple(steps),
        metadata={
            "builder": "route_flow",
            "route": route.key(),
            "module_flow_ml_min": totals,
            "conditions": [c.model_dump() for c in conditions],
        },
    )
    found = violations(protocol, limits)
    if found:
        raise RecipeError(f"protocol {name}", "; ".join(found))
    return protocol
