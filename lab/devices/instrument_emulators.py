"""The emulators of the instrument drivers dbtl ships, each on the wire its driver speaks.

==============  ===========  ==================================================
kind            driver       emulator
==============  ===========  ==================================================
pump            new_era      NE-1000 Basic-mode RS-232 over TCP
valve           vici         VICI universal actuator over TCP
heater          modbus       PID controller on a pymodbus server (TCP or RTU framing)
analyzer        hplc_folder  HPLC writing CSV reports to ``results_dir``
==============  ===========  ==================================================

Importing this module registers them (see :mod:`lab.devices.emulator_registry`);
a driver of one's own registers its emulator the same way, in its own module.
"""

from __future__ import annotations

from typing import Any

from drivers.errors import DeviceError
from drivers.hplc_files import HplcFolderSettings
from drivers.modbus_heater import ModbusHeaterSettings
from drivers.new_era import NewEraSettings
from drivers.settings import SerialSettings
from drivers.vici import ViciSettings
from lab.devices import instruments  # noqa: F401  (registers the drivers these emulate)
from lab.devices.emulator_registry import EmulatedDevice, EmulatedLab, register_emulator
from lab.devices.lab_spec import DeviceSpec
from simulators.emulators.hplc import HplcEmulator
from simulators.emulators.modbus_controller import ModbusControllerEmulator
from simulators.emulators.ne1000 import NE1000Emulator
from simulators.emulators.servers import TcpServer
from simulators.emulators.vici import ViciEmulator
from simulators.flow_reactor import SimulatedAnalyzer, SimulatedHeater, Stock


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


def _serve(spec: DeviceSpec, emulator: Any, port: int | None, protocol: str) -> EmulatedDevice:
    host, lab_port = tcp_address(spec)
    try:
        server = TcpServer(emulator, host, lab_port if port is None else port, name=spec.name)
    except OSError as exc:
        raise DeviceError(spec.name, f"cannot listen on {host}:{lab_port}: {exc}") from exc
    server.start()
    return EmulatedDevice(spec.name, protocol, server.url, emulator, server, server.stop)


@register_emulator("pump", "new_era")
def _new_era(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    settings = spec.settings_as(NewEraSettings)
    reservoir = spec.reservoir
    stock = Stock(reservoir.species, reservoir.concentration_mol_l) if reservoir else Stock(None)
    pump = lab.world.add_pump(spec.name, stock)
    emulator = NE1000Emulator(settings.address, pump, lab.world.clock, lab.lock, spec.name)
    emulator.diameter_mm = settings.syringe_diameter_mm  # the syringe the lab file says is mounted
    return _serve(spec, emulator, port, "NE-1000 RS-232 (Basic mode)")


@register_emulator("valve", "vici")
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


@register_emulator("heater", "modbus")
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


@register_emulator("analyzer", "hplc_folder")
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
