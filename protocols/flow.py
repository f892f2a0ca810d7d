"""Flow-reactor builder: one design becomes pump flow rates, a heater setpoint and a sample.

The reactor is fed by one pump per stock solution plus a solvent pump. For a
residence time τ in a reactor of volume V the total flow is ``V / τ``; each
stock pump delivers its species at the wanted inlet concentration, and the
solvent pump makes up the rest.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from protocols.errors import ProtocolError
from protocols.protocol import Protocol
from protocols.steps import Measure, SetFlowRate, SetTemperature, Step, WaitSteadyState


class Feed(BaseModel):
    """A pump and the stock solution it draws from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pump: str
    species: str
    stock_mol_l: float = Field(gt=0)


class FlowSetup(BaseModel):
    """The physical reactor: volume, feeds, and which devices heat and analyze."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reactor_volume_ml: float = Field(gt=0)
    feeds: tuple[Feed, ...]
    solvent_pump: str
    heater: str
    analyzer: str
    limiting_species: str
    reagent_species: str
    steady_state_volumes: float = Field(default=3.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> FlowSetup:
        species = {f.species for f in self.feeds}
        for role, name in (("limiting", self.limiting_species), ("reagent", self.reagent_species)):
            if name not in species:
                raise ValueError(
                    f"{role} species {name!r} is not fed by any pump "
                    f"(feeds carry: {', '.join(sorted(species))})"
                )
        return self

    def feed_of(self, species: str) -> Feed:
        """Return the feed that carries ``species``."""
        return next(f for f in self.feeds if f.species == species)


class FlowConditions(BaseModel):
    """The chemist's view of one flow experiment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    residence_time_min: float = Field(gt=0)
    equivalents: float = Field(gt=0)
    concentration_mol_l: float = Field(gt=0)
    temperature_c: float

    def inlet_mol_l(self) -> dict[str, float]:
        """Inlet concentrations by role: limiting reagent and the reagent in excess."""
        return {
            "limiting": self.concentration_mol_l,
            "reagent": self.equivalents * self.concentration_mol_l,
        }


BUILDER_INPUTS = tuple(FlowConditions.model_fields)
"""Design quantities the flow builder needs."""


def flow_rates_ml_min(conditions: FlowConditions, setup: FlowSetup) -> dict[str, float]:
    """Return the flow rate of every pump for ``conditions``.

    Raises:
        ProtocolError: The stocks are too dilute to reach the inlet
            concentrations (the solvent pump would need a negative flow).
    """
    total = setup.reactor_volume_ml / conditions.residence_time_min
    inlet = conditions.inlet_mol_l()
    limiting = setup.feed_of(setup.limiting_species)
    reagent = setup.feed_of(setup.reagent_species)
    rates = {
        limiting.pump: total * inlet["limiting"] / limiting.stock_mol_l,
        reagent.pump: total * inlet["reagent"] / reagent.stock_mol_l,
    }
    solvent = total - sum(rates.values())
    if solvent < -1e-9 * total:
        raise ProtocolError(
            f"{conditions.concentration_mol_l:g} mol/L of {setup.limiting_species} with "
            f"{conditions.equivalents:g} equivalents of {setup.reagent_species} needs "
            f"{100 * (total - solvent) / total:.0f}% of the total flow from the stock pumps; "
            "use more concentrated stocks or narrow the bounds"
        )
    rates[setup.solvent_pump] = max(solvent, 0.0)
    return rates


def build_flow_protocol(conditions: FlowConditions, setup: FlowSetup, name: str) -> Protocol:
    """Turn one design into a flow-reactor protocol.

    Steps: heat and wait for a stable temperature; set every pump; wait
    ``steady_state_volumes`` reactor volumes; sample and analyze.

    Raises:
        ProtocolError: The flows cannot be realized with these stocks.
    """
    rates = flow_rates_ml_min(conditions, setup)
    steps: list[Step] = [
        SetTemperature(device=setup.heater, temperature_c=conditions.temperature_c)
    ]
    steps += [SetFlowRate(device=pump, flow_rate_ml_min=rate) for pump, rate in rates.items()]
    steps.append(
        WaitSteadyState(
            reactor_volumes=setup.steady_state_volumes,
            residence_time_min=conditions.residence_time_min,
        )
    )
    steps.append(Measure(device=setup.analyzer, label="outlet"))
    return Protocol(
        name=name,
        steps=tuple(steps),
        metadata={
            "builder": "flow_reactor",
            "conditions": conditions.model_dump(),
            "total_flow_ml_min": sum(rates.values()),
        },
    )
