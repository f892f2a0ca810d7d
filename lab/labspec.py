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
    max_flow_rate_ml_min: 8.0
```

``port`` is anything pyserial's ``serial_for_url`` opens: a device path
(``/dev/ttyUSB0``, ``COM3``), ``socket://host:port`` (a serial device server,
an emulator, Modbus TCP), ``rfc2217://host:port`` or ``loop://``. What else a
device needs depends on its driver; see :data:`DRIVER_FIELDS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from drivers.new_era import rate_range_ml_min
from protocols.deck import Deck
from protocols.inventory import ReagentSpec
from protocols.validation import DeviceLimits
from simulators.experiment_table import ExperimentTableSpec
from simulators.pathway.biofoundry_spec import BiofoundrySpec
from simulators.yield_table import YieldTableSpec

DeviceKind = Literal[
    "pump", "heater", "valve", "analyzer", "liquid_handler", "plate_reader", "station", "incubator"
]


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


PORT_SCHEMES = ("socket", "rfc2217", "loop", "spy", "hwgrep", "alt")
"""URL schemes pyserial's ``serial_for_url`` understands."""


def check_port(port: str) -> str:
    """Return ``port`` if pyserial can open something like it.

    Raises:
        ValueError: An unknown URL scheme, a network URL without host:port, or blanks.
    """
    if not port.strip() or port != port.strip():
        raise ValueError(f"port {port!r} is blank or has surrounding spaces")
    if "://" not in port:
        return port  # a device path: /dev/ttyUSB0, COM3
    scheme, rest = port.split("://", 1)
    if scheme not in PORT_SCHEMES:
        raise ValueError(
            f"port {port!r} has unknown scheme {scheme!r}; use a device path "
            "(/dev/ttyUSB0, COM3) or socket://host:port, rfc2217://host:port, loop://"
        )
    if scheme in ("socket", "rfc2217"):
        host, _, number = rest.split("?")[0].rpartition(":")
        if not host or not number.isdigit() or not 1 <= int(number) <= 65535:
            raise ValueError(f"port {port!r}: expected {scheme}://host:port, port 1-65535")
    return port


class RegisterSpec(BaseModel):
    """One Modbus register: its table and 0-based protocol address."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: Literal["holding", "input"] = "holding"
    address: int = Field(ge=0, le=65535)


class ModbusSpec(BaseModel):
    """How a Modbus temperature controller keeps its temperatures.

    The defaults follow the Eurotherm 2000/3000-series map: process value in
    holding register 1, target setpoint in holding register 2, tenths of a °C.
    ``framing`` defaults to ``tcp`` on ``socket://`` ports and ``rtu`` otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    framing: Literal["rtu", "tcp"] | None = None
    process_value: RegisterSpec = RegisterSpec(address=1)
    setpoint: RegisterSpec = RegisterSpec(address=2)
    scale: float = Field(default=10.0, gt=0, description="register value per °C")
    signed: bool = True

    @model_validator(mode="after")
    def _check(self) -> ModbusSpec:
        if self.setpoint.table != "holding":
            raise ValueError("setpoint must be a holding register (it is written)")
        return self


class InjectorSpec(BaseModel):
    """The valve whose switch injects a sample into an analyzer (its contact closure)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    valve: str
    inject_position: int = Field(ge=1)
    load_position: int = Field(ge=1)
    hold_s: float = Field(default=5.0, ge=0, description="time in the inject position")

    @model_validator(mode="after")
    def _check(self) -> InjectorSpec:
        if self.inject_position == self.load_position:
            raise ValueError("inject_position and load_position must differ")
        return self


DRIVER_FIELDS: dict[str, dict[str, str]] = {
    "new_era": {
        "port": "its serial port",
        "address": "its network address, 0-99 (0 unless changed on the pump)",
        "syringe_diameter_mm": "the syringe's inside diameter",
    },
    "vici": {"port": "its serial port", "positions": "the valve's number of positions"},
    "modbus": {"port": "its serial port or socket://host:port", "address": "its unit id, 1-247"},
    "hplc_folder": {
        "results_dir": "the folder the data system exports reports to",
        "response_factors_mol_l_per_area": "the calibration, mol/L per area unit, per peak",
    },
    "simulated_table_yield": {
        "yield_table": "the published table it reads yields from, and how that table was run",
    },
    "experiment_table": {
        "experiment_table": "the table of experiments it replays: file, parameter and "
        "outcome columns",
    },
}
"""Fields each driver needs, and what they mean (for error messages)."""

_ADDRESS_RANGE = {"new_era": (0, 99), "vici": (0, 9), "modbus": (1, 247)}
_ONLY_FOR = {
    "modbus": "modbus",
    "results_dir": "hplc_folder",
    "response_factors_mol_l_per_area": "hplc_folder",
    "injector": "hplc_folder",
    "yield_table": "simulated_table_yield",
    "experiment_table": "experiment_table",
}


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
    baudrate: int | None = Field(default=None, gt=0)
    timeout_s: float = Field(default=2.0, gt=0, description="deadline for each reply")
    retries: int = Field(default=2, ge=0, le=10, description="extra attempts for queries")
    max_flow_rate_ml_min: float | None = Field(default=None, gt=0)
    syringe_diameter_mm: float | None = Field(default=None, gt=0)
    reservoir: Reservoir | None = None
    min_temperature_c: float | None = None
    max_temperature_c: float | None = None
    ramp_c_per_min: float | None = Field(default=None, gt=0)
    positions: int | None = Field(default=None, ge=2)
    modbus: ModbusSpec | None = None
    results_dir: Path | None = None
    report_pattern: str = "*.csv"
    result_timeout_s: float = Field(default=1800.0, gt=0)
    response_factors_mol_l_per_area: dict[str, float] | None = None
    injector: InjectorSpec | None = None

    @field_validator("port")
    @classmethod
    def _port(cls, port: str | None, info: ValidationInfo) -> str | None:
        if port is None:
            return None
        try:
            return check_port(port)
        except ValueError as exc:
            raise ValueError(f"device {info.data.get('name', '?')!r}: {exc}") from None

    @field_validator("response_factors_mol_l_per_area")
    @classmethod
    def _factors(cls, factors: dict[str, float] | None) -> dict[str, float] | None:
        bad = sorted(k for k, v in (factors or {}).items() if not v > 0)
        if bad:
            raise ValueError(f"response factors must be > 0; check {', '.join(bad)}")
        if factors is not None and not factors:
            raise ValueError("give a response factor for at least one peak")
        return factors

    url: str | None = Field(default=None, pattern=r"^https?://")
    run_timeout_s: float | None = Field(default=None, gt=0)
    deck: Deck | None = None
    yield_table: YieldTableSpec | None = None
    experiment_table: ExperimentTableSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> DeviceSpec:
        problems = self._driver_problems()
        if problems:
            raise ValueError("; ".join(problems))
        if self.kind == "valve" and self.positions is None:
            raise ValueError(f"valve {self.name!r} needs positions")
        if self.kind == "pump" and self.max_flow_ml_min() is None:
            raise ValueError(f"pump {self.name!r} needs max_flow_rate_ml_min")
        if self.kind == "liquid_handler" and self.deck is None:
            raise ValueError(f"liquid handler {self.name!r} needs a deck")
        if self.kind in ("heater", "incubator") and self.max_temperature_c is None:
            raise ValueError(f"{self.kind} {self.name!r} needs max_temperature_c")
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

    def _driver_problems(self) -> list[str]:
        who = f"{self.kind} {self.name!r} (driver {self.driver})"
        problems = [
            f"{who} needs {field!r}: {meaning}"
            for field, meaning in DRIVER_FIELDS.get(self.driver, {}).items()
            if getattr(self, field) is None
        ]
        problems += [
            f"{who}: {field!r} applies only to driver {driver!r}"
            for field, driver in _ONLY_FOR.items()
            if getattr(self, field) is not None and self.driver != driver
        ]
        low, high = _ADDRESS_RANGE.get(self.driver, (0, None))
        if self.address is not None and high is not None and not low <= self.address <= high:
            problems.append(f"{who}: address {self.address} is outside {low}-{high}")
        return problems

    def modbus_framing(self) -> Literal["rtu", "tcp"]:
        """The Modbus framing: as configured, else ``tcp`` on ``socket://`` ports, else ``rtu``."""
        if self.modbus is not None and self.modbus.framing is not None:
            return self.modbus.framing
        return "tcp" if (self.port or "").startswith("socket://") else "rtu"

    def max_flow_ml_min(self) -> float | None:
        """The pump's flow limit.

        ``max_flow_rate_ml_min`` if given; for a New Era pump without it, the
        fastest rate the pump pushes through its syringe.
        """
        if self.max_flow_rate_ml_min is not None:
            return self.max_flow_rate_ml_min
        if self.driver == "new_era" and self.syringe_diameter_mm is not None:
            return rate_range_ml_min(self.syringe_diameter_mm)[1]
        return None

    def limits(self) -> DeviceLimits:
        """Return the limits used to validate protocols before they run."""
        return DeviceLimits(
            kind=self.kind,
            max_flow_rate_ml_min=self.max_flow_ml_min(),
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
    """The simulated world behind ``simulated`` devices and behind wire emulators.

    ``dbtl lab emulate`` runs this world behind emulated instruments; with
    ``time_scale`` above 1 it runs faster than real time, and so does the
    orchestrator's clock for this lab, so waits for steady state stay short.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: Literal["snar"] = "snar"
    noise_relative_sd: float = Field(default=0.0, ge=0, le=0.5)
    time_scale: float = Field(
        default=1.0,
        gt=0,
        le=100_000,
        description="for emulated labs: how many times faster than real time the emulated "
        "world and the orchestrator's clock run; never set it for a real lab",
    )
    analysis_time_s: float = Field(
        default=120.0, gt=0, description="emulated HPLC: injection to report"
    )


class LabSpec(BaseModel):
    """A lab: its devices, its reactor (if any) and, for dry runs, its simulation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    description: str | None = None
    reactor: ReactorSpec | None = None
    simulation: SimulationSpec | None = None
    devices: tuple[DeviceSpec, ...]
    reagents: tuple[ReagentSpec, ...] = ()
    outage_timeout_s: float = Field(
        default=180.0,
        gt=0,
        le=7 * 86400.0,
        description="how long a device that stopped answering is waited for (lab.outages)",
    )
    biofoundry: BiofoundrySpec | None = None

    @model_validator(mode="after")
    def _check(self) -> LabSpec:
        names = [d.name for d in self.devices]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"device names must be unique; repeated: {', '.join(repeated)}")
        if any(d.driver == "simulated" for d in self.devices) and self.simulation is None:
            raise ValueError("devices with driver 'simulated' need a 'simulation' section")
        worlds = ("simulated_biofoundry", "pathway_world")
        if any(d.driver in worlds for d in self.devices) and not self.biofoundry:
            raise ValueError(
                "devices with driver 'simulated_biofoundry' or 'pathway_world' need a "
                "'biofoundry' section (parts_file, genes)"
            )
        for device in self.devices:
            if device.injector is not None:
                self._check_injector(device.name, device.injector)
        return self

    def _check_injector(self, analyzer: str, injector: InjectorSpec) -> None:
        valve = next((d for d in self.devices if d.name == injector.valve), None)
        if valve is None or valve.kind != "valve":
            valves = [d.name for d in self.devices if d.kind == "valve"]
            raise ValueError(
                f"analyzer {analyzer!r}: injector valve {injector.valve!r} is not a valve "
                f"of this lab; its valves: {', '.join(valves) or 'none'}"
            )
        highest = max(injector.inject_position, injector.load_position)
        if valve.positions is not None and highest > valve.positions:
            raise ValueError(
                f"analyzer {analyzer!r}: valve {valve.name!r} has {valve.positions} "
                f"positions; the injector uses position {highest}"
            )

    def relative_to(self, base_dir: Path) -> LabSpec:
        """Return the lab with relative paths (``results_dir``, tables) resolved in ``base_dir``."""
        devices = tuple(
            d.model_copy(update={"results_dir": (base_dir / d.results_dir).resolve()})
            if d.results_dir is not None and not d.results_dir.is_absolute()
            else d
            for d in self.devices
        )
        devices = tuple(
            d.model_copy(update={"yield_table": d.yield_table.resolved(base_dir)})
            if d.yield_table is not None
            else d
            for d in devices
        )
        devices = tuple(
            d.model_copy(update={"experiment_table": d.experiment_table.resolved(base_dir)})
            if d.experiment_table is not None
            else d
            for d in devices
        )
        biofoundry = self.biofoundry.resolved(base_dir) if self.biofoundry else None
        return self.model_copy(update={"devices": devices, "biofoundry": biofoundry})

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
