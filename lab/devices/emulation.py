"""Run a lab's instruments as wire-level emulators around one simulated flow reactor.

For every device whose driver speaks a wire, the emulator its driver
registered (:mod:`lab.devices.emulator_registry`; the shipped ones in
:mod:`lab.devices.instrument_emulators`: New Era pumps, VICI valves, Modbus
heaters, HPLC folders) answers that protocol on the device's
``socket://host:port`` (or writes to its folder).

All of them share the world of the lab's ``simulation`` and ``reactor``
sections: the emulated pumps feed their reservoirs into the reactor, the
emulated controller heats it, and the HPLC samples its outlet. The HPLC
injects when the analyzer's ``injector`` valve reaches its inject position
(the valve's contact closure), and reports ``simulation.analysis_time_s``
later. The world runs ``simulation.time_scale`` times faster than real time,
as does the orchestrator's clock for this lab. Devices of the simulated world
itself (drivers that need the ``simulation`` section, such as ``simulated``)
are not on a wire and are left to the orchestrator.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from lab.devices import instrument_emulators  # noqa: F401  (registers the shipped emulators)
from lab.devices.emulator_registry import EmulatedDevice, EmulatedLab, fresh_world
from lab.devices.instrument_emulators import tcp_address
from lab.devices.lab_spec import LabSpec


def start_emulators(lab: LabSpec, ports: Mapping[str, int] | None = None) -> EmulatedLab:
    """Start an emulator for every wired device of ``lab``.

    Args:
        lab: The lab; needs its ``simulation`` and ``reactor`` sections.
        ports: Per device name, a TCP port to use instead of the lab file's
            (0 picks a free one; see :meth:`EmulatedLab.bound_lab`).

    Returns:
        The running emulators; :meth:`EmulatedLab.stop` cuts their power and
        :meth:`EmulatedLab.restart` restores it.

    Raises:
        DeviceError: A device cannot be emulated or its port cannot be bound.
    """
    emulated = EmulatedLab(lab, fresh_world(lab), threading.RLock())
    emulated.start(ports)
    return emulated


@contextmanager
def emulators(lab: LabSpec, ports: Mapping[str, int] | None = None) -> Iterator[EmulatedLab]:
    """Run the emulators of ``lab`` for the duration of a ``with`` block."""
    emulated = start_emulators(lab, ports)
    try:
        yield emulated
    finally:
        emulated.stop()


__all__ = [
    "EmulatedDevice",
    "EmulatedLab",
    "emulators",
    "start_emulators",
    "tcp_address",
]
