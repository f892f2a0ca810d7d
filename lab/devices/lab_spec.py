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
device needs depends on its driver: each driver registers a settings model
(:mod:`drivers.settings`, :mod:`lab.devices.catalog`) that validates the
device's remaining keys; ``dbtl`` lists them in the README's table of driver keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails

from drivers.settings import DriverSettings, LinkedDevice, NoSettings
from lab.devices.builtin import SHIPPED
from lab.devices.catalog import drivers_of, find_driver
from lab.devices.driver_keys import (
    describe,
    error,
    kind_key_errors,
    kind_keys,
    merged,
    validate_settings,
)
from protocols.deck import Deck
from protocols.inventory import ReagentSpec
from protocols.validation import DeviceLimits
from simulators.pathway.biofoundry_spec import BiofoundrySpec

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


S = TypeVar("S", bound=DriverSettings)


class DeviceSpec(BaseModel):
    """One device of the lab: its name, kind and driver, the kind's limits, the driver's settings.

    A lab file writes a device flat; the keys below are common to every
    driver of a kind, the rest are the driver's and are validated by the
    settings model it registered (see :mod:`lab.devices.catalog`), kept in
    :attr:`settings`. Dumped, the device is flat again.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$")
    kind: DeviceKind
    driver: str = Field(description="the driver: 'simulated', or the instrument's protocol")
    max_flow_rate_ml_min: float | None = Field(
        default=None, gt=0, description="the pump's highest flow rate, mL/min"
    )
    reservoir: Reservoir | None = Field(default=None, description="what the pump draws")
    min_temperature_c: float | None = Field(default=None, description="lowest setpoint, °C")
    max_temperature_c: float | None = Field(default=None, description="highest setpoint, °C")
    ramp_c_per_min: float | None = Field(
        default=None, gt=0, description="how fast the heater heats, °C/min (simulated worlds)"
    )
    positions: int | None = Field(default=None, ge=2, description="the valve's number of positions")
    deck: Deck | None = Field(default=None, description="the liquid handler's deck")
    run_timeout_s: float | None = Field(
        default=None, gt=0, description="longest run of one robot program, s"
    )
    settings: SerializeAsAny[DriverSettings] = NoSettings()
    """The driver's own settings, validated by its model."""

    @model_validator(mode="wrap")
    @classmethod
    def _driver_keys(cls, data: Any, handler: ModelWrapValidatorHandler[DeviceSpec]) -> DeviceSpec:
        """Split the flat entry: common keys here, the driver's keys to its settings model."""
        if not isinstance(data, dict):
            return handler(data)
        common = {k: v for k, v in data.items() if k in cls.model_fields and k != "settings"}
        kind, name, driver = data.get("kind"), data.get("name"), data.get("driver")
        who = describe(kind, name, driver)
        settings, errors = cls._settings(data, common, who)
        errors += kind_key_errors(common, kind, who)
        try:
            device = handler({**common, "settings": settings or NoSettings()})
        except ValidationError as exc:
            raise merged(exc, errors) from None
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        problems = device._kind_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return device

    @classmethod
    def _settings(
        cls, data: dict[str, Any], common: dict[str, Any], who: str
    ) -> tuple[DriverSettings | None, list[InitErrorDetails]]:
        kind, driver = data.get("kind"), data.get("driver")
        if not isinstance(kind, str) or not isinstance(driver, str):
            return None, []  # the common model reports a missing or mistyped kind or driver
        entry = find_driver(kind, driver)
        if entry is None:
            if kind not in get_args(DeviceKind):
                return None, []  # the common model lists the kinds
            available = ", ".join(drivers_of(kind)) or "none registered"
            message = f"{who}: no driver {driver!r} for a {kind}; available: {available}"
            return None, [error(("driver",), message, driver)]
        rest = {k: v for k, v in data.items() if k not in common}
        return validate_settings(entry, rest, data.get("name"), kind_keys(cls, kind))

    @model_serializer(mode="wrap")
    def _flat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        settings = data.pop("settings", None) or {}
        return {**data, **settings}

    def _kind_problems(self) -> list[str]:
        who = describe(self.kind, self.name, self.driver)
        needs = {
            "valve": ("positions", self.positions),
            "pump": ("max_flow_rate_ml_min", self.max_flow_ml_min()),
            "liquid_handler": ("deck", self.deck),
            "heater": ("max_temperature_c", self.max_temperature_c),
            "incubator": ("max_temperature_c", self.max_temperature_c),
        }
        key, value = needs.get(self.kind, ("", True))
        problems = []
        if value is None:
            meaning = type(self).model_fields[key].description
            problems.append(f"{who} needs {key!r}: {meaning}")
        low, high = self.min_temperature_c, self.max_temperature_c
        if low is not None and high is not None and low >= high:
            problems.append(
                f"{who}: min_temperature_c {low:g} must be < max_temperature_c {high:g}"
            )
        return problems

    def max_flow_ml_min(self) -> float | None:
        """The pump's flow limit: ``max_flow_rate_ml_min`` if given, else what the driver knows.

        (A New Era pump knows the fastest rate it pushes through its syringe.)
        """
        if self.max_flow_rate_ml_min is not None:
            return self.max_flow_rate_ml_min
        return self.settings.limits().max_flow_rate_ml_min

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

    def settings_as(self, model: type[S]) -> S:
        """The driver's settings as ``model`` (what the device's driver registered).

        Raises:
            ValueError: The device's driver takes other settings.
        """
        if not isinstance(self.settings, model):
            raise ValueError(
                f"{describe(self.kind, self.name, self.driver)} has no {model.__name__}; "
                f"its settings are {type(self.settings).__name__}"
            )
        return self.settings

    def setting(self, key: str) -> object:
        """The value of the lab-file key ``key`` (common or the driver's), or ``None``."""
        if key in type(self).model_fields and key != "settings":
            return getattr(self, key)
        if key in type(self.settings).model_fields:
            return getattr(self.settings, key)
        return None

    def with_settings(self, **changes: Any) -> DeviceSpec:
        """The device with some driver settings replaced (e.g. the port an emulator bound)."""
        return self.model_copy(update={"settings": self.settings.model_copy(update=changes)})

    def flow_limit_ml_min(self) -> float:
        """The pump's flow limit (every pump has one: the lab file or its driver gives it)."""
        return _present(self.max_flow_ml_min(), self, "max_flow_rate_ml_min")

    def temperature_range_c(self, default_min_c: float) -> tuple[float, float]:
        """The lowest and highest setpoint of a heater or incubator (lowest: ``default_min_c``)."""
        high = _present(self.max_temperature_c, self, "max_temperature_c")
        low = self.min_temperature_c
        return (default_min_c if low is None else low), high

    def valve_positions(self) -> int:
        """The valve's number of positions (every valve has it)."""
        return _present(self.positions, self, "positions")

    def robot_deck(self) -> Deck:
        """The liquid handler's deck (every liquid handler has one)."""
        return _present(self.deck, self, "deck")


T = TypeVar("T")


def _present(value: T | None, device: DeviceSpec, key: str) -> T:
    """``value``, which validation guarantees for the device's kind."""
    if value is None:
        raise ValueError(f"{describe(device.kind, device.name, device.driver)} has no {key!r}")
    return value


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


DRIVER_MODULES = SHIPPED
"""The modules whose drivers every lab is validated against (imported with this schema)."""

SECTION_HINTS = {"biofoundry": " (parts_file, genes)"}
"""What a section needs at least, for the message naming a missing one."""


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
        description="how long a device that stopped answering is waited for (lab.running.outages)",
    )
    biofoundry: BiofoundrySpec | None = None

    @model_validator(mode="after")
    def _check(self) -> LabSpec:
        names = [d.name for d in self.devices]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"device names must be unique; repeated: {', '.join(repeated)}")
        for section, drivers in self._sections_needed().items():
            if getattr(self, section) is None:
                raise ValueError(
                    f"devices with driver {' or '.join(map(repr, drivers))} need a "
                    f"{section!r} section{SECTION_HINTS.get(section, '')}"
                )
        for device in self.devices:
            for linked in device.settings.linked_devices():
                self._check_link(device.name, linked)
        return self

    def _sections_needed(self) -> dict[str, list[str]]:
        """Each lab-file section some device's driver needs, and those drivers."""
        needed: dict[str, list[str]] = {}
        for device in self.devices:
            entry = find_driver(device.kind, device.driver)
            for section in entry.sections if entry else ():
                drivers = needed.setdefault(section, [])
                if device.driver not in drivers:
                    drivers.append(device.driver)
        return needed

    def _check_link(self, name: str, linked: LinkedDevice) -> None:
        device = next((d for d in self.devices if d.name == linked.device), None)
        kind = next(d.kind for d in self.devices if d.name == name)
        if device is None or device.kind != linked.kind:
            others = [d.name for d in self.devices if d.kind == linked.kind]
            raise ValueError(
                f"{kind} {name!r}: {linked.key.replace('.', ' ')} {linked.device!r} is not a "
                f"{linked.kind} of this lab; its {linked.kind}s: {', '.join(others) or 'none'}"
            )
        highest = linked.highest_position
        if highest is not None and device.positions is not None and highest > device.positions:
            raise ValueError(
                f"{kind} {name!r}: {linked.kind} {device.name!r} has {device.positions} "
                f"positions; the {linked.key.split('.')[0]} uses position {highest}"
            )

    def relative_to(self, base_dir: Path) -> LabSpec:
        """Return the lab with relative paths (results folders, tables) resolved in ``base_dir``."""
        devices = tuple(
            d.model_copy(update={"settings": d.settings.resolved(base_dir)}) for d in self.devices
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
