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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drivers.errors import DeviceError
from drivers.settings import SerialSettings
from lab.devices.catalog import find_driver
from lab.devices.lab_spec import DeviceSpec, LabSpec
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


@dataclass
class EmulatedLab:
    """The emulators of one lab and the world they share."""

    lab: LabSpec
    world: SimulatedFlowReactor
    lock: threading.RLock
    devices: dict[str, EmulatedDevice] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop every emulator (their connections close, as if unplugged)."""
        for device in reversed(list(self.devices.values())):
            device.stop()

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
