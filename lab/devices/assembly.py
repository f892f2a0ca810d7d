"""Build a lab's device frontends from its lab file, through the catalog of drivers.

Every device's driver is looked up in :mod:`lab.devices.catalog` (the drivers
dbtl ships register there from :mod:`lab.devices.builtin`: simulated,
instruments, route world, biofoundry); its factory receives the device's spec,
its validated settings and a :class:`BuildContext` and returns the frontend
with its backend attached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from drivers.base import Device
from drivers.clock import Clock
from drivers.errors import DeviceError
from lab.devices.lab_spec import LabSpec
from lab.devices.registry import (
    DEFAULT_RUN_TIMEOUT_S,
    BuildContext,
    DeviceFactory,
    DeviceSet,
    driver_of,
    known_drivers,
    register_driver,
    simulated_world,
)

__all__ = [
    "DEFAULT_RUN_TIMEOUT_S",
    "BuildContext",
    "DeviceFactory",
    "DeviceSet",
    "build_devices",
    "connected",
    "driver_of",
    "known_drivers",
    "register_driver",
    "simulated_world",
]


def build_devices(lab: LabSpec, clock: Clock) -> DeviceSet:
    """Create every device of ``lab`` (not yet connected).

    Raises:
        DeviceError: A device names a driver no factory is registered for.
    """
    context = BuildContext(lab=lab, clock=clock)
    devices = context.devices
    for spec in lab.devices:
        devices[spec.name] = driver_of(spec).factory(spec, spec.settings, context)
    return DeviceSet(devices)


ConnectFailure = Callable[[Device, DeviceError], None]
"""Handles a device whose connect failed: returns once it is connected, or raises."""


@contextmanager
def connected(devices: DeviceSet, on_failure: ConnectFailure | None = None) -> Iterator[DeviceSet]:
    """Connect every device; on the way out, make all safe and disconnect.

    A device whose connect failed half-way (port open, no answer) is
    disconnected too, so no port stays open.

    Args:
        devices: The lab's devices.
        on_failure: Called when a device fails to connect (e.g. to wait out
            an outage, see :mod:`lab.running.outages`); without it the error is raised.
    """
    opened: list[Device] = []
    try:
        for device in devices.devices.values():
            opened.append(device)
            try:
                device.connect()
            except DeviceError as exc:
                if on_failure is None:
                    raise
                on_failure(device, exc)
        yield devices
    finally:
        devices.safe_state()
        for device in reversed(opened):
            with suppress(DeviceError):
                device.disconnect()
