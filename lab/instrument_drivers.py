"""Factories of the instrument drivers: New Era pumps, VICI valves, Modbus heaters, HPLC folders.

Each factory turns one device of the lab file into a frontend over a real
backend. Serial links open ``spec.port`` with ``serial.serial_for_url``, so a
device path, a serial device server (``socket://``) and an emulator are
interchangeable. Importing this module registers the factories (see
:func:`lab.device_registry.register_driver`).
"""

from __future__ import annotations

from drivers import modbus_heater, new_era, vici
from drivers.analyzer import Analyzer
from drivers.base import Device
from drivers.heater import Heater
from drivers.hplc_files import Injector, ResultFolderBackend
from drivers.modbus_heater import Framing, ModbusHeaterBackend, Register, RegisterMap, Table
from drivers.pump import Pump
from drivers.transport import RetryPolicy, SerialLink, serial_port
from drivers.valve import Valve
from lab.device_registry import BuildContext, register_driver
from lab.labspec import DeviceSpec, InjectorSpec, ModbusSpec

DEFAULT_MIN_TEMPERATURE_C = -20.0


def serial_link(spec: DeviceSpec, default_baudrate: int) -> SerialLink:
    """The link to a device's port, with its timeout and retries from the lab file."""
    assert spec.port is not None  # required by DeviceSpec for these drivers
    factory = serial_port(
        spec.port, baudrate=spec.baudrate or default_baudrate, write_timeout_s=spec.timeout_s
    )
    return SerialLink(
        spec.name,
        spec.port,
        factory,
        timeout_s=spec.timeout_s,
        retry=RetryPolicy(attempts=spec.retries + 1),
    )


@register_driver("pump", "new_era")
def _new_era_pump(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.address is not None and spec.syringe_diameter_mm is not None
    max_flow = spec.max_flow_ml_min()
    assert max_flow is not None  # the syringe diameter gives one
    backend = new_era.NewEraPumpBackend(
        spec.name, serial_link(spec, new_era.BAUDRATE), spec.address, spec.syringe_diameter_mm
    )
    return Pump(spec.name, backend, max_flow)


@register_driver("valve", "vici")
def _vici_valve(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.positions is not None
    backend = vici.ViciValveBackend(spec.name, serial_link(spec, vici.BAUDRATE), spec.address)
    return Valve(spec.name, backend, spec.positions)


def register_map(spec: ModbusSpec | None) -> RegisterMap:
    """The driver's register map from the lab file's ``modbus`` section."""
    spec = spec or ModbusSpec()
    return RegisterMap(
        process_value=Register(Table(spec.process_value.table), spec.process_value.address),
        setpoint=Register(Table(spec.setpoint.table), spec.setpoint.address),
        scale=spec.scale,
        signed=spec.signed,
    )


@register_driver("heater", "modbus")
def _modbus_heater(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.address is not None and spec.max_temperature_c is not None
    backend = ModbusHeaterBackend(
        spec.name,
        serial_link(spec, modbus_heater.BAUDRATE),
        unit=spec.address,
        framing=Framing(spec.modbus_framing()),
        registers=register_map(spec.modbus),
    )
    minimum = spec.min_temperature_c
    return Heater(
        spec.name,
        backend,
        context.clock,
        min_temperature_c=DEFAULT_MIN_TEMPERATURE_C if minimum is None else minimum,
        max_temperature_c=spec.max_temperature_c,
    )


def valve_injector(injector: InjectorSpec, context: BuildContext) -> Injector:
    """Inject by switching the sample valve: inject position, hold, back to load."""

    def inject(key: str) -> None:
        valve = context.device(injector.valve, Valve)
        valve.switch(injector.inject_position, f"{key}/inject")
        context.clock.sleep(injector.hold_s)
        valve.switch(injector.load_position, f"{key}/load")

    return inject


@register_driver("analyzer", "hplc_folder")
def _hplc_folder(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.results_dir is not None and spec.response_factors_mol_l_per_area is not None
    injector = valve_injector(spec.injector, context) if spec.injector else None
    backend = ResultFolderBackend(
        spec.name,
        spec.results_dir,
        spec.response_factors_mol_l_per_area,
        context.clock,
        timeout_s=spec.result_timeout_s,
        pattern=spec.report_pattern,
        injector=injector,
    )
    return Analyzer(spec.name, backend)
