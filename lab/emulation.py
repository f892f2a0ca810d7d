"""Run a lab's instruments as wire-level emulators around one simulated flow reactor.

For every device whose driver speaks a wire, an emulator answers that
protocol on the device's ``socket://host:port``:

==============  =========  ==================================================
kind            driver     emulator
==============  =========  ==================================================
pump            new_era    NE-1000 Basic-mode RS-232 over TCP
valve           vici       VICI universal actuator over TCP
heater          modbus     PID controller on a pymodbus server (TCP or RTU framing)
analyzer        hplc_folder  HPLC writing CSV reports to ``results_dir``
==============  =========  ==================================================

All of them share the world of the lab's ``simulation`` and ``reactor``
sections: the emulated pumps feed their reservoirs into the reactor, the
emulated controller heats it, and the HPLC samples its outlet. The HPLC
injects when the analyzer's ``injector`` valve reaches its inject position
(the valve's contact closure), and reports ``simulation.analysis_time_s``
later. The world runs ``simulation.time_scale`` times faster than real time,
as does the orchestrator's clock for this lab. Devices with the ``simulated``
driver are not on a wire and are left to the orchestrator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from drivers.clock import ScaledClock
from drivers.errors import DeviceError
from drivers.modbus_heater import Framing
from lab.devices import simulated_world
from lab.instrument_drivers import register_map
from lab.labspec import DeviceSpec, LabSpec
from simulators.emulators.hplc import HplcEmulator
from simulators.emulators.modbus_controller import ModbusControllerEmulator
from simulators.emulators.ne1000 import NE1000Emulator
from simulators.emulators.servers import TcpServer
from simulators.emulators.vici import ViciEmulator
from simulators.flow_reactor import SimulatedAnalyzer, SimulatedFlowReactor, SimulatedHeater, Stock


@dataclass
class EmulatedDevice:
    """One running emulator.

    Attributes:
        name: The device it stands in for.
        protocol: What it speaks.
        where: Its URL, or the folder it writes to.
        emulator: The protocol emulator (to inject alarms, read its commands).
        server: What serves it on the wire (its ``faults`` make replies misbehave).
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
            d.model_copy(update={"port": self.devices[d.name].where})
            if d.name in self.devices and d.port is not None
            else d
            for d in self.lab.devices
        )
        return self.lab.model_copy(update={"devices": devices})


def tcp_address(spec: DeviceSpec) -> tuple[str, int]:
    """The host and port of a ``socket://host:port`` device.

    Raises:
        DeviceError: The device's port is not a ``socket://`` URL.
    """
    port = spec.port or ""
    if not port.startswith("socket://"):
        raise DeviceError(
            spec.name, f"only socket://host:port ports can be emulated; the lab file has {port!r}"
        )
    host, _, number = port.removeprefix("socket://").split("?")[0].rpartition(":")
    return host, int(number)


def start_emulators(lab: LabSpec, ports: Mapping[str, int] | None = None) -> EmulatedLab:
    """Start an emulator for every wired device of ``lab``.

    Args:
        lab: The lab; needs its ``simulation`` and ``reactor`` sections.
        ports: Per device name, a TCP port to use instead of the lab file's
            (0 picks a free one; see :meth:`EmulatedLab.bound_lab`).

    Raises:
        DeviceError: A device cannot be emulated or its port cannot be bound.
    """
    clock = ScaledClock(lab.simulation.time_scale if lab.simulation else 1.0)
    emulated = EmulatedLab(lab, simulated_world(lab, clock), threading.RLock())
    try:
        for spec in lab.devices:
            if spec.driver == "simulated":
                continue
            starter = _STARTERS.get(spec.driver)
            if starter is None:
                raise DeviceError(spec.name, f"driver {spec.driver!r} has no emulator")
            emulated.devices[spec.name] = starter(spec, emulated, (ports or {}).get(spec.name))
    except BaseException:
        emulated.stop()
        raise
    return emulated


def restart_emulators(emulated: EmulatedLab) -> EmulatedLab:
    """Stop ``emulated`` and start its lab again on the same ports (a fresh simulated world).

    What a bench does when its power comes back: clients that reconnect find
    every device where it was.
    """
    emulated.stop()
    bound = emulated.bound_lab()
    ports = {d.name: int(d.port.rpartition(":")[2]) for d in bound.devices if d.port}
    return start_emulators(emulated.lab, ports=ports)


@contextmanager
def emulators(lab: LabSpec, ports: Mapping[str, int] | None = None) -> Iterator[EmulatedLab]:
    """Run the emulators of ``lab`` for the duration of a ``with`` block."""
    emulated = start_emulators(lab, ports)
    try:
        yield emulated
    finally:
        emulated.stop()


# ------------------------------------------------------------------ per driver
Starter = Callable[[DeviceSpec, EmulatedLab, int | None], EmulatedDevice]


def _serve(spec: DeviceSpec, emulator: Any, port: int | None, protocol: str) -> EmulatedDevice:
    host, lab_port = tcp_address(spec)
    try:
        server = TcpServer(emulator, host, lab_port if port is None else port, name=spec.name)
    except OSError as exc:
        raise DeviceError(spec.name, f"cannot listen on {host}:{lab_port}: {exc}") from exc
    server.start()
    return EmulatedDevice(spec.name, protocol, server.url, emulator, server, server.stop)


def _new_era(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    reservoir = spec.reservoir
    stock = Stock(reservoir.species, reservoir.concentration_mol_l) if reservoir else Stock(None)
    pump = lab.world.add_pump(spec.name, stock)
    emulator = NE1000Emulator(spec.address or 0, pump, lab.world.clock, lab.lock, spec.name)
    if spec.syringe_diameter_mm is not None:  # the syringe the lab file says is mounted
        emulator.diameter_mm = spec.syringe_diameter_mm
    return _serve(spec, emulator, port, "NE-1000 RS-232 (Basic mode)")


def _vici(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    positions = spec.positions or 2
    emulator = ViciEmulator(
        positions=positions,
        mode=1 if positions == 2 else 3,
        device_id=spec.address,
        on_move=lambda position: _contact(lab, spec.name, position),
        lock=lab.lock,
    )
    return _serve(spec, emulator, port, "VICI universal actuator")


def _contact(lab: EmulatedLab, valve: str, position: int) -> None:
    """A valve moved: start an injection on every HPLC it is the injector of."""
    for spec in lab.lab.devices:
        injector = spec.injector
        if injector and injector.valve == valve and injector.inject_position == position:
            hplc = lab.devices.get(spec.name)
            if hplc is not None:
                hplc.emulator.inject(f"{valve}:inject:{hplc.emulator.injections + 1}")


def _modbus(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    host, lab_port = tcp_address(spec)
    emulator = ModbusControllerEmulator(
        SimulatedHeater(lab.world),
        unit=spec.address or 1,
        registers=register_map(spec.modbus),
        framing=Framing(spec.modbus_framing()),
        host=host,
        port=lab_port if port is None else port,
        lock=lab.lock,
        name=spec.name,
    )
    try:
        emulator.start()
    except OSError as exc:
        raise DeviceError(spec.name, str(exc)) from exc
    protocol = f"Modbus {spec.modbus_framing().upper()} temperature controller"
    return EmulatedDevice(spec.name, protocol, emulator.url, emulator, emulator, emulator.stop)


def _hplc(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    assert spec.results_dir is not None and spec.response_factors_mol_l_per_area is not None
    simulation = lab.lab.simulation
    emulator = HplcEmulator(
        SimulatedAnalyzer(lab.world),
        spec.results_dir,
        spec.response_factors_mol_l_per_area,
        lab.world.clock,
        run_time_s=simulation.analysis_time_s if simulation else 120.0,
        lock=lab.lock,
    )
    try:
        emulator.start()
    except OSError as exc:
        raise DeviceError(spec.name, f"cannot create {spec.results_dir}: {exc}") from exc
    return EmulatedDevice(
        spec.name, "HPLC CSV reports", str(spec.results_dir), emulator, None, emulator.stop
    )


_STARTERS: dict[str, Starter] = {
    "new_era": _new_era,
    "vici": _vici,
    "modbus": _modbus,
    "hplc_folder": _hplc,
}
