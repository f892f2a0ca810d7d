"""Factories of the instrument drivers: New Era pumps, VICI valves, Modbus heaters, HPLC folders.

Each factory turns one device of the lab file into a frontend over a real
backend, from the settings its driver declares next to its code
(:class:`~drivers.new_era.NewEraSettings` and so on). Serial links open the
device's ``port`` with ``serial.serial_for_url``, so a device path, a serial
device server (``socket://``) and an emulator are interchangeable. Importing
this module registers the factories (see :func:`lab.devices.catalog.register_driver`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers import modbus_heater, new_era, vici
from drivers.analyzer import Analyzer
from drivers.base import Device
from drivers.heater import Heater
from drivers.hplc_files import HplcFolderSettings, Injector, InjectorSettings, ResultFolderBackend
from drivers.modbus_heater import ModbusHeaterBackend, ModbusHeaterSettings
from drivers.new_era import NewEraSettings
from drivers.pump import Pump
from drivers.settings import SerialSettings
from drivers.transport import RetryPolicy, SerialLink, serial_port
from drivers.valve import Valve
from drivers.vici import ViciSettings
from lab.devices.catalog import register_driver

if TYPE_CHECKING:
    from lab.devices.lab_spec import DeviceSpec
    from lab.devices.registry import BuildContext

DEFAULT_MIN_TEMPERATURE_C = -20.0


def serial_link(name: str, settings: SerialSettings, default_baudrate: int) -> SerialLink:
    """The link to a device's port, with its timeout and retries from the lab file."""
    factory = serial_port(
        settings.port,
        baudrate=settings.baudrate or default_baudrate,
        write_timeout_s=settings.timeout_s,
    )
    return SerialLink(
        name,
        settings.port,
        factory,
        timeout_s=settings.timeout_s,
        retry=RetryPolicy(attempts=settings.retries + 1),
    )


@register_driver("pump", "new_era", NewEraSettings)
def _new_era_pump(spec: DeviceSpec, settings: NewEraSettings, context: BuildContext) -> Device:
    backend = new_era.NewEraPumpBackend(
        spec.name,
        serial_link(spec.name, settings, new_era.BAUDRATE),
        settings.address,
        settings.syringe_diameter_mm,
    )
    return Pump(spec.name, backend, spec.flow_limit_ml_min())


@register_driver("valve", "vici", ViciSettings)
def _vici_valve(spec: DeviceSpec, settings: ViciSettings, context: BuildContext) -> Device:
    link = serial_link(spec.name, settings, vici.BAUDRATE)
    backend = vici.ViciValveBackend(spec.name, link, settings.address)
    return Valve(spec.name, backend, spec.valve_positions())


@register_driver("heater", "modbus", ModbusHeaterSettings)
def _modbus_heater(
    spec: DeviceSpec, settings: ModbusHeaterSettings, context: BuildContext
) -> Device:
    backend = ModbusHeaterBackend(
        spec.name,
        serial_link(spec.name, settings, modbus_heater.BAUDRATE),
        unit=settings.address,
        framing=settings.framing(),
        registers=settings.register_map(),
    )
    low, high = spec.temperature_range_c(default_min_c=DEFAULT_MIN_TEMPERATURE_C)
    return Heater(spec.name, backend, context.clock, min_temperature_c=low, max_temperature_c=high)


def valve_injector(injector: InjectorSettings, context: BuildContext) -> Injector:
    """Inject by switching the sample valve: inject position, hold, back to load."""

    def inject(key: str) -> None:
        valve = context.device(injector.valve, Valve)
        valve.switch(injector.inject_position, f"{key}/inject")
        context.clock.sleep(injector.hold_s)
        valve.switch(injector.load_position, f"{key}/load")

    return inject


@register_driver("analyzer", "hplc_folder", HplcFolderSettings)
def _hplc_folder(spec: DeviceSpec, settings: HplcFolderSettings, context: BuildContext) -> Device:
    injector = valve_injector(settings.injector, context) if settings.injector else None
    backend = ResultFolderBackend(
        spec.name,
        settings.results_dir,
        settings.response_factors_mol_l_per_area,
        context.clock,
        timeout_s=settings.result_timeout_s,
        pattern=settings.report_pattern,
        injector=injector,
    )
    return Analyzer(spec.name, backend)
