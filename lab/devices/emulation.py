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
as does the orchestrator's clock for this lab. Devices of the simulated world
itself (drivers that need the ``simulation`` section, such as ``simulated``)
are not on a wire and are left to the orchestrator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from drivers.clock import ScaledClock
from drivers.errors import DeviceError
from drivers.hplc_files import HplcFolderSettings
from drivers.modbus_heater import ModbusHeaterSettings
from drivers.new_era import NewEraSettings
from drivers.settings import SerialSettings
from drivers.vici import ViciSettings
from lab.devices.assembly import driver_of, simulated_world
from lab.devices.lab_spec import DeviceSpec, LabSpec
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
            d.with_settings(port=self.devices[d.name].where)
            if d.name in self.devices and isinstance(d.settings, SerialSettings)
            else d
            for d in self.lab.devices
        )
        return self.lab.model_copy(update={"devices": devices})


def tcp_address(spec: DeviceSpec) -> tuple[str, int]:
    """The host and port of a ``socket://host:port`` device.

    Raises:
        DeviceError: The device's port is not a ``socket://`` URL.
    """
    port = spec.settings_as(SerialSettings).port
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
            if "simulation" in driver_of(spec).sections:
                continue  # a device of the simulated world itself
            starter = _STARTERS.get((spec.kind, spec.driver))
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
    ports = {
        d.name: int(d.settings.port.rpartition(":")[2])
        for d in bound.devices
        if isinstance(d.settings, SerialSettings)
    }
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
    settings = spec.settings_as(NewEraSettings)
    reservoir = spec.reservoir
    stock = Stock(reservoir.species, reservoir.concentration_mol_l) if reservoir else Stock(None)
    pump = lab.world.add_pump(spec.name, stock)
    emulator = NE1000Emulator(settings.address, pump, lab.world.clock, lab.lock, spec.name)
    emulator.diameter_mm = settings.syringe_diameter_mm  # the syringe the lab file says is mounted
    return _serve(spec, emulator, port, "NE-1000 RS-232 (Basic mode)")


def _vici(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    positions = spec.valve_positions()
    emulator = ViciEmulator(
        positions=positions,
        mode=1 if positions == 2 else 3,
        device_id=spec.settings_as(ViciSettings).address,
        on_move=lambda position: _contact(lab, spec.name, position),
        lock=lab.lock,
    )
    return _serve(spec, emulator, port, "VICI universal actuator")


def _contact(lab: EmulatedLab, valve: str, position: int) -> None:
    """A valve moved: start an injection on every HPLC it is the injector of."""
    for spec in lab.lab.devices:
        settings = spec.settings
        injector = settings.injector if isinstance(settings, HplcFolderSettings) else None
        if injector and injector.valve == valve and injector.inject_position == position:
            hplc = lab.devices.get(spec.name)
            if hplc is not None:
                hplc.emulator.inject(f"{valve}:inject:{hplc.emulator.injections + 1}")


def _modbus(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    settings = spec.settings_as(ModbusHeaterSettings)
    host, lab_port = tcp_address(spec)
    emulator = ModbusControllerEmulator(
        SimulatedHeater(lab.world),
        unit=settings.address,
        registers=settings.register_map(),
        framing=settings.framing(),
        host=host,
        port=lab_port if port is None else port,
        lock=lab.lock,
        name=spec.name,
    )
    try:
        emulator.start()
    except OSError as exc:
        raise DeviceError(spec.name, str(exc)) from exc
    protocol = f"Modbus {settings.framing().upper()} temperature controller"
    return EmulatedDevice(spec.name, protocol, emulator.url, emulator, emulator, emulator.stop)


def _hplc(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    settings = spec.settings_as(HplcFolderSettings)
    simulation = lab.lab.simulation
    emulator = HplcEmulator(
        SimulatedAnalyzer(lab.world),
        settings.results_dir,
        settings.response_factors_mol_l_per_area,
        lab.world.clock,
        run_time_s=simulation.analysis_time_s if simulation else 120.0,
        lock=lab.lock,
    )
    try:
        emulator.start()
    except OSError as exc:
        raise DeviceError(spec.name, f"cannot create {settings.results_dir}: {exc}") from exc
    return EmulatedDevice(
        spec.name, "HPLC CSV reports", str(settings.results_dir), emulator, None, emulator.stop
    )


_STARTERS: dict[tuple[str, str], Starter] = {
    ("pump", "new_era"): _new_era,
    ("valve", "vici"): _vici,
    ("heater", "modbus"): _modbus,
    ("analyzer", "hplc_folder"): _hplc,
}
"""The emulator of each ``(kind, driver)`` that speaks a wire."""
