"""Build a lab's device frontends from its lab file, through a registry of drivers.

A driver factory is registered for a ``(kind, driver)`` pair and receives the
device's spec and a :class:`BuildContext`; it returns the frontend with its
backend attached (see :mod:`lab.device_registry`). Simulated devices share one
simulated world per lab and are defined here; the instrument drivers (serial,
Modbus, result folders), the route world and the simulated biofoundry register
theirs in their own modules, imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from drivers.analyzer import Analyzer
from drivers.base import Device
from drivers.clock import Clock
from drivers.errors import DeviceError
from drivers.heater import Heater
from drivers.liquid_handler import LiquidHandler, LiquidHandlerBackend
from drivers.opentrons_http import OpentronsHttpBackend
from drivers.plate_reader import PlateReader
from drivers.pump import Pump
from drivers.station import Station
from drivers.valve import Valve
from lab import devices_pathway, devices_route, instrument_drivers  # register their drivers
from lab.device_registry import (
    _FACTORIES,
    DEFAULT_RUN_TIMEOUT_S,
    BuildContext,
    DeviceFactory,
    DeviceSet,
    known_drivers,
    register_driver,
    simulated_world,
)
from lab.labspec import DeviceSpec, LabSpec
from simulators.experiment_table import ExperimentTable, ExperimentTableError
from simulators.flow_reactor import (
    SimulatedAnalyzer,
    SimulatedHeater,
    Stock,
)
from simulators.opentrons_sim import OpentronsSimulateBackend
from simulators.plate_world import CompositionReader, PlateFillingBackend
from simulators.table_station import TableStation
from simulators.valve import SimulatedValve
from simulators.yield_reader import TableYieldReader
from simulators.yield_table import YieldTable, YieldTableError

__all__ = [
    "DEFAULT_RUN_TIMEOUT_S",
    "BuildContext",
    "DeviceFactory",
    "DeviceSet",
    "build_devices",
    "connected",
    "devices_pathway",
    "devices_route",
    "instrument_drivers",
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
        factory = _FACTORIES.get((spec.kind, spec.driver))
        if factory is None:
            options = sorted(d for k, d in _FACTORIES if k == spec.kind)
            raise DeviceError(
                spec.name,
                f"no driver {spec.driver!r} for a {spec.kind}; "
                f"available: {', '.join(options) or 'none'}",
            )
        devices[spec.name] = factory(spec, context)
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
            an outage, see :mod:`lab.outages`); without it the error is raised.
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


# ------------------------------------------------------------- simulated drivers


@register_driver("pump", "simulated")
def _simulated_pump(spec: DeviceSpec, context: BuildContext) -> Device:
    reservoir = spec.reservoir
    stock = Stock(reservoir.species, reservoir.concentration_mol_l) if reservoir else Stock(None)
    backend = context.world().add_pump(spec.name, stock)
    assert spec.max_flow_rate_ml_min is not None  # guaranteed by DeviceSpec
    return Pump(spec.name, backend, spec.max_flow_rate_ml_min)


@register_driver("heater", "simulated")
def _simulated_heater(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.max_temperature_c is not None  # guaranteed by DeviceSpec
    return Heater(
        spec.name,
        SimulatedHeater(context.world()),
        context.clock,
        min_temperature_c=spec.min_temperature_c if spec.min_temperature_c is not None else -20.0,
        max_temperature_c=spec.max_temperature_c,
    )


@register_driver("analyzer", "simulated")
def _simulated_analyzer(spec: DeviceSpec, context: BuildContext) -> Device:
    return Analyzer(spec.name, SimulatedAnalyzer(context.world()))


@register_driver("valve", "simulated")
def _simulated_valve(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.positions is not None  # guaranteed by DeviceSpec
    return Valve(spec.name, SimulatedValve(spec.positions), spec.positions)


# ------------------------------------------------------------ liquid handling


@register_driver("liquid_handler", "opentrons_simulate")
def _opentrons_simulate(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.deck is not None  # guaranteed by DeviceSpec
    backend = PlateFillingBackend(OpentronsSimulateBackend(), context.plates())
    timeout = spec.run_timeout_s or DEFAULT_RUN_TIMEOUT_S
    return LiquidHandler(spec.name, backend, spec.deck.robot_type, timeout)


@register_driver("liquid_handler", "opentrons_http")
def _opentrons_http(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.deck is not None  # guaranteed by DeviceSpec
    if spec.url is None:
        raise DeviceError(spec.name, "the opentrons_http driver needs url: http://<robot>:31950")
    backend: LiquidHandlerBackend = OpentronsHttpBackend(
        spec.name, spec.url, timeout_s=max(spec.timeout_s, 5.0), clock=context.clock
    )
    if _reads_simulated_plates(context.lab):
        backend = PlateFillingBackend(backend, context.plates())
    timeout = spec.run_timeout_s or DEFAULT_RUN_TIMEOUT_S
    return LiquidHandler(spec.name, backend, spec.deck.robot_type, timeout)


def _reads_simulated_plates(lab: LabSpec) -> bool:
    """Whether a simulated plate reader reads what the lab's robots pipette."""
    return any(d.kind == "plate_reader" and d.driver.startswith("simulated") for d in lab.devices)


@register_driver("plate_reader", "simulated_composition")
def _composition_reader(spec: DeviceSpec, context: BuildContext) -> Device:
    return PlateReader(spec.name, CompositionReader(context.plates()))


@register_driver("plate_reader", "simulated_table_yield")
def _table_yield_reader(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.yield_table is not None  # required by DeviceSpec for this driver
    try:
        table = YieldTable.load(spec.yield_table)
    except YieldTableError as exc:
        raise DeviceError(spec.name, str(exc)) from None
    return PlateReader(spec.name, TableYieldReader(context.plates(), table))


@register_driver("station", "experiment_table")
def _table_station(spec: DeviceSpec, context: BuildContext) -> Device:
    assert spec.experiment_table is not None  # required by DeviceSpec for this driver
    try:
        table = ExperimentTable.load(spec.experiment_table)
    except ExperimentTableError as exc:
        raise DeviceError(spec.name, str(exc)) from None
    return Station(spec.name, TableStation(spec.name, table))
