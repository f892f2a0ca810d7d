"""Registry of device drivers: what a factory receives and how it is registered.

A driver factory is registered for a ``(kind, driver)`` pair with the settings
model of the driver (:func:`lab.devices.catalog.register_driver`) and receives
the device's spec, its validated settings and a :class:`BuildContext`; it
returns the frontend with its backend attached. The modules that define
drivers (:mod:`lab.devices.simulated`, :mod:`lab.devices.instruments`,
:mod:`lab.devices.route`, :mod:`lab.devices.pathway`) use this module's types
in annotations only, and never import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from drivers.base import Device
from drivers.clock import Clock
from drivers.errors import DeviceError
from lab.devices.catalog import (
    DEFAULT_RUN_TIMEOUT_S,
    DriverEntry,
    driver_entries,
    drivers_of,
    find_driver,
    register_driver,
)
from lab.devices.lab_spec import DeviceSpec, LabSpec
from simulators.flow_reactor import SimulatedFlowReactor
from simulators.plate_world import PlateWorld

__all__ = [
    "DEFAULT_RUN_TIMEOUT_S",
    "BuildContext",
    "DeviceFactory",
    "DeviceSet",
    "driver_of",
    "known_drivers",
    "register_driver",
    "simulated_world",
]

D = TypeVar("D", bound=Device)


@dataclass
class BuildContext:
    """What driver factories may use: the lab, its clock, its simulated world, other devices.

    Attributes:
        devices: The frontends built so far, by name; a factory that needs
            another device (an analyzer's injection valve) looks it up when it
            uses it, since the lab file may list it later.
    """

    lab: LabSpec
    clock: Clock
    devices: dict[str, Device] = field(default_factory=dict)
    shared: dict[str, object] = field(default_factory=dict)
    """Simulated worlds other modules' factories share between the lab's devices, by name."""
    _world: SimulatedFlowReactor | None = None
    _plates: PlateWorld | None = None

    def plates(self) -> PlateWorld:
        """Return the lab's simulated plates (stocks loaded from every deck), creating them."""
        if self._plates is None:
            self._plates = PlateWorld()
            for spec in self.lab.devices:
                if spec.deck is not None:
                    self._plates.load_stocks(spec.deck)
        return self._plates

    def world(self) -> SimulatedFlowReactor:
        """Return the lab's simulated flow reactor, creating it on first use."""
        if self._world is None:
            self._world = simulated_world(self.lab, self.clock)
        return self._world

    def device(self, name: str, kind: type[D]) -> D:
        """Return another device of the lab (see :meth:`DeviceSet.get`)."""
        return DeviceSet(self.devices).get(name, kind)


def simulated_world(lab: LabSpec, clock: Clock) -> SimulatedFlowReactor:
    """Create the simulated flow reactor of ``lab`` (for simulated devices and emulators).

    Raises:
        DeviceError: The lab has no 'simulation' or 'reactor' section.
    """
    if lab.simulation is None or lab.reactor is None:
        raise DeviceError(
            lab.name, "simulated flow devices need the lab's 'simulation' and 'reactor' sections"
        )
    return SimulatedFlowReactor(
        clock,
        lab.reactor.volume_ml,
        noise_relative_sd=lab.simulation.noise_relative_sd,
        ramp_c_per_min=_ramp(lab),
    )


DeviceFactory = Callable[..., Device]
"""Builds a device from its lab-file entry, its driver's validated settings and the context
(see :func:`lab.devices.catalog.register_driver`)."""


def known_drivers() -> list[tuple[str, str]]:
    """Return every registered ``(kind, driver)`` pair."""
    return [(e.kind, e.driver) for e in driver_entries()]


def driver_of(spec: DeviceSpec) -> DriverEntry:
    """The catalog entry of ``spec``'s driver.

    Raises:
        DeviceError: No factory is registered for the device's kind and driver.
    """
    entry = find_driver(spec.kind, spec.driver)
    if entry is None:
        raise DeviceError(
            spec.name,
            f"no driver {spec.driver!r} for a {spec.kind}; "
            f"available: {', '.join(drivers_of(spec.kind)) or 'none'}",
        )
    return entry


@dataclass
class DeviceSet:
    """The frontends of one lab, by name."""

    devices: dict[str, Device] = field(default_factory=dict)

    def get(self, name: str, kind: type[D]) -> D:
        """Return device ``name``, checking it is a ``kind``.

        Raises:
            DeviceError: Unknown device, or a device of another kind.
        """
        device = self.devices.get(name)
        if device is None:
            raise DeviceError(
                name, f"no such device; the lab has: {', '.join(sorted(self.devices))}"
            )
        if not isinstance(device, kind):
            raise DeviceError(name, f"is a {device.kind}, not a {kind.kind}")
        return device

    def safe_state(self) -> list[str]:
        """Bring every device to its safe state; return the errors met (never raises)."""
        problems = []
        for device in self.devices.values():
            try:
                device.safe_state()
            except DeviceError as exc:
                problems.append(str(exc))
        return problems


def _ramp(lab: LabSpec) -> float:
    ramps = [d.ramp_c_per_min for d in lab.devices if d.kind == "heater" and d.ramp_c_per_min]
    return ramps[0] if ramps else 10.0
