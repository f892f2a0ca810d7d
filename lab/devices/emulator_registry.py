"""The registry of wire-level emulators: which ``(kind, driver)`` a lab's emulated bench can run.

A driver that speaks a wire registers its emulator next to its factory's
module, with :func:`register_emulator`; :func:`lab.devices.emulation.start_emulators`
looks each device of the lab up here, so adding a driver never means editing
the emulation module. The emulators dbtl ships register in
:mod:`lab.devices.instrument_emulators`. Registering a second emulator for the
same pair is refused, as is an emulator for a driver the catalog does not know.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drivers.clock import ScaledClock
from drivers.errors import DeviceError
from drivers.settings import SerialSettings
from lab.devices.catalog import find_driver
from lab.devices.lab_spec import DeviceSpec, LabSpec
from lab.devices.registry import driver_of, simulated_world
from simulators.flow_reactor import SimulatedFlowReactor


@dataclass
class EmulatedDevice:
    """One running emulator.

    Attributes:
        name: The device it stands in for.
        protocol: What it speaks.
        where: Its URL, or the folder it writes to.
        emulator: The protocol emulator (to inject alarms, read its commands).
        server: What serves it on the wire (its ``faults`` make replies misbehave).
        stop: Stops it (its connections close, as if unplugged).
    """

    name: str
    protocol: str
    where: str
    emulator: Any
    server: Any
    stop: Callable[[], None]


def fresh_world(lab: LabSpec) -> SimulatedFlowReactor:
    """A new simulated world for ``lab``, its clock ``simulation.time_scale`` times real time.

    Raises:
        DeviceError: The lab has no 'simulation' or 'reactor' section.
    """
    return simulated_world(lab, ScaledClock(lab.simulation.time_scale if lab.simulation else 1.0))


@dataclass
class EmulatedLab:
    """The emulators of one lab and the world they share.

    The bench can lose power and get it back: :meth:`stop` cuts it (every
    emulator stops, every connection drops), :meth:`restart` restores it on the
    same ports in a fresh world; :attr:`running` says which it is.
    """

    lab: LabSpec
    world: SimulatedFlowReactor
    lock: threading.RLock
    devices: dict[str, EmulatedDevice] = field(default_factory=dict)
    running: bool = False

    def start(self, ports: Mapping[str, int] | None = None) -> None:
        """Start an emulator for every wired device of the lab (see ``start_emulators``).

        The bench is :attr:`running` once every emulator has started.

        Args:
            ports: Per device name, a TCP port to use instead of the lab file's
                (0 picks a free one; see :meth:`bound_lab`).

        Raises:
            DeviceError: A device cannot be emulated or its port cannot be bound
                (the emulators already started are stopped again).
        """
        try:
            for spec in self.lab.devices:
                if "simulation" in driver_of(spec).sections:
                    continue  # a device of the simulated world itself
                starter = emulator_of(spec)
                self.devices[spec.name] = starter(spec, self, (ports or {}).get(spec.name))
        except BaseException:
            self._stop_devices()
            raise
        self.running = True

    def stop(self) -> None:
        """Cut the power: stop every emulator (their connections close, as if unplugged).

        Stopping a stopped bench does nothing.
        """
        if self.running:
            self.running = False
            self._stop_devices()

    def _stop_devices(self) -> None:
        for device in reversed(list(self.devices.values())):
            device.stop()

    def restart(self) -> None:
        """Power back on: start the lab again on the same ports, in a fresh simulated world.

        What a bench does when its power comes back: clients that reconnect
        find every device where it was. A running bench is stopped first.

        Raises:
            DeviceError: A port cannot be bound again.
        """
        self.stop()
        ports = {
            d.name: int(d.settings.port.rpartition(":")[2])
            for d in self.bound_lab().devices
            if isinstance(d.settings, SerialSettings)
        }
        self.devices = {}
        self.world = fresh_world(self.lab)
        self.lock = threading.RLock()
        self.start(ports)

    def bound_lab(self) -> LabSpec:
        """The lab with every emulated port replaced by the address actually bound."""
        devices = tuple(
            d.with_settings(port=self.devices[d.name].where)
            if d.name in self.devices and isinstance(d.settings, SerialSettings)
            else d
            for d in self.lab.devices
        )
        return self.lab.model_copy(update={"devices": devices})


Starter = Callable[[DeviceSpec, EmulatedLab, int | None], EmulatedDevice]
"""Starts one device's emulator: ``starter(device, lab, port)`` (``port`` overrides the file's)."""

_STARTERS: dict[tuple[str, str], Starter] = {}


def add_emulator(kind: str, driver: str, starter: Starter) -> None:
    """Register ``starter`` as the emulator of ``kind`` devices with ``driver``.

    Registering the same starter again is a no-op (a module imported twice).

    Raises:
        ValueError: The catalog has no such driver, or another emulator is registered for it.
    """
    if find_driver(kind, driver) is None:
        raise ValueError(
            f"an emulator for driver {driver!r} of {kind!r} devices, which the driver catalog "
            "does not know; register the driver first (lab.devices.catalog.register_driver)"
        )
    existing = _STARTERS.get((kind, driver))
    if existing is not None and existing is not starter:
        raise ValueError(
            f"driver {driver!r} of {kind!r} devices has two emulators "
            f"({existing.__module__}.{existing.__qualname__} and "
            f"{starter.__module__}.{starter.__qualname__}); keep one"
        )
    _STARTERS[(kind, driver)] = starter


def register_emulator(kind: str, driver: str) -> Callable[[Starter], Starter]:
    """Decorator: register the function starting the emulator of ``kind`` devices with ``driver``.

    Raises:
        ValueError: See :func:`add_emulator`.
    """

    def decorate(starter: Starter) -> Starter:
        add_emulator(kind, driver, starter)
        return starter

    return decorate


def emulated_drivers() -> list[tuple[str, str]]:
    """Every ``(kind, driver)`` with an emulator, sorted."""
    return sorted(_STARTERS)


def emulator_of(spec: DeviceSpec) -> Starter:
    """The emulator starter of ``spec``'s driver.

    Raises:
        DeviceError: The driver has none; the message lists the drivers that have one.
    """
    starter = _STARTERS.get((spec.kind, spec.driver))
    if starter is None:
        available = ", ".join(f"{driver} ({kind})" for kind, driver in emulated_drivers())
        raise DeviceError(
            spec.name,
            f"{spec.kind} driver {spec.driver!r} has no emulator; drivers with one: "
            f"{available or 'none'}. Use one of them in the lab file, a simulated driver, "
            "or register an emulator with lab.devices.emulator_registry.register_emulator",
        )
    return starter
