"""Lab files: the devices of a lab, how to reach them, and their safe limits.

```yaml
name: flow-bench
reactor: {volume_ml: 5.0}
devices:
  - name: pump_a
    kind: pump
    driver: new_era
    port: socket://127.0.0.1:7001
    address: 0
    syringe_diameter_mm: 14.57
```
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from protocols.deck import Deck
from protocols.validation import DeviceLimits

DeviceKind = Literal["pump", "heater", "valve", "analyzer", "liquid_handler", "plate_reader"]


class Reservoir(BaseModel):
    """What a pump draws: a species in solution, or solvent alone (no species)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    species: str | None = None
    concentration_mol_l: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> Reservoir:
        if self.species is not None and self.concentration_mol_l <= 0:
            raise ValueError(f"reservoir of {self.species!r} needs concentration_mol_l > 0")
        return self


class DeviceSpec(BaseModel):
    """One device of the lab.

    ``driver`` picks the backend (``simulated`` for the simulated world; real
    drivers name their protocol). Connection fields (``port``, ``address``)
    and limits apply to the kinds that have them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    kind: DeviceKind
    driver: str
    port: str | None = None
    address: int | None = Field(default=None, ge=0)
    timeout_s: float = Field(default=2.0, gt=0)
    max_flow_rate_ml_min: float | None = Field(default=None, gt=0)
    syringe_diameter_mm: float | None = Field(default=None, gt=0)
    reservoir: Reservoir | None = None
    min_temperature_c: float | None = None
    max_temperature_c: float | None = None
    ramp_c_per_min: float | None = Field(default=None, gt=0)
    positions: int | None = Field(default=None, ge=2)
    url: str | None = Field(default=None, pattern=r"^https?://")
    run_timeout_s: float | None = Field(default=None, gt=0)
    deck: Deck | None = None

    @model_validator(mode="after")
    def _check(self) -> DeviceSpec:
        if self.kind == "pump" and self.max_flow_rate_ml_min is None:
            raise ValueError(f"pump {self.name!r} needs max_flow_rate_ml_min")
        if self.kind == "liquid_handler" and self.deck is None:
            raise ValueError(f"liquid handler {self.name!r} needs a deck")
        if self.kind == "heater" and self.max_temperature_c is None:
            raise ValueError(f"heater {self.name!r} needs max_temperature_c")
        if (
            self.min_temperature_c is not None
            and self.max_temperature_c is not None
            and self.min_temperature_c >= self.max_temperature_c
        ):
            raise ValueError(
                f"min_temperature_c {self.min_temperature_c:g} must be < "
                f"max_temperature_c {self.max_temperature_c:g}"
            )
        return self

    def limits(self) -> DeviceLimits:
        """Return the limits used to validate protocols before they run."""
        return DeviceLimits(
            kind=self.kind,
            max_flow_rate_ml_min=self.max_flow_rate_ml_min,
            min_temperature_c=self.min_temperature_c,
            max_temperature_c=self.max_temperature_c,
            positions=self.positions,
            deck=self.deck,
        )


class ReactorSpec(BaseModel):
    """The flow reactor's geometry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    volume_ml: float = Field(gt=0)


class SimulationSpec(BaseModel):
    """The simulated world behind devices whose driver is ``simulated``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: Literal["snar"] = "snar"
    noise_relative_sd: float = Field(default=0.0, ge=0, le=0.5)


class LabSpec(BaseModel):
    """A lab: its devices, its reactor (if any) and, for dry runs, its simulation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str | None = None
    reactor: ReactorSpec | None = None
    simulation: SimulationSpec | None = None
    devices: tuple[DeviceSpec, ...]

    @model_validator(mode="after")
    def _check(self) -> LabSpec:
        names = [d.name for d in self.devices]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"device names must be unique; repeated: {', '.join(repeated)}")
        if any(d.driver == "simulated" for d in self.devices) and self.simulation is None:
            raise ValueError("devices with driver 'simulated' need a 'simulation' section")
        return self

    def device(self, name: str) -> DeviceSpec:
        """Return the device called ``name``.

        Raises:
            KeyError: Listing the lab's devices.
        """
        for d in self.devices:
            if d.name == name:
                return d
        raise KeyError(
            f"lab {self.name!r} has no device {name!r}; it has: "
            + ", ".join(d.name for d in self.devices)
        )

    def limits(self) -> dict[str, DeviceLimits]:
        """Return every device's limits by name."""
        return {d.name: d.limits() for d in self.devices}
