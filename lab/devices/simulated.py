"""The simulated drivers: the flow world, the plate bench, replayed tables, Opentrons robots.

Simulated flow devices (driver ``simulated``) share one simulated flow reactor
per lab (:meth:`~lab.devices.registry.BuildContext.world`); the robots and
plate readers share the lab's simulated plates. The Opentrons HTTP driver is
here too, since a real robot's runs are mirrored on the simulated plates when
a simulated reader reads them. Importing this module registers the factories
(see :func:`lab.devices.catalog.register_driver`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers.analyzer import Analyzer
from drivers.base import Device
from drivers.errors import DeviceError
from drivers.heater import Heater
from drivers.liquid_handler import LiquidHandler, LiquidHandlerBackend
from drivers.opentrons_http import OpentronsHttpBackend, OpentronsHttpSettings
from drivers.plate_reader import PlateReader
from drivers.pump import Pump
from drivers.settings import NoSettings
from drivers.station import Station
from drivers.valve import Valve
from lab.devices.catalog import DEFAULT_RUN_TIMEOUT_S, find_driver, register_driver
from simulators.experiment_table import ExperimentTable, ExperimentTableError
from simulators.flow_reactor import SimulatedAnalyzer, SimulatedHeater, Stock
from simulators.opentrons_sim import OpentronsSimulateBackend
from simulators.plate_world import CompositionReader, PlateFillingBackend
from simulators.table_station import ExperimentTableSettings, TableStation
from simulators.valve import SimulatedValve
from simulators.yield_reader import TableYieldReader, TableYieldSettings
from simulators.yield_table import YieldTable, YieldTableError

if TYPE_CHECKING:
    from lab.devices.lab_spec import DeviceSpec, LabSpec
    from lab.devices.registry import BuildContext

FLOW_WORLD = ("simulation",)
"""What the simulated flow world's drivers need: the lab's ``simulation`` section."""


@register_driver("pump", "simulated", NoSettings, sections=FLOW_WORLD, virtual_time=True)
def _simulated_pump(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    reservoir = spec.reservoir
    stock = Stock(reservoir.species, reservoir.concentration_mol_l) if reservoir else Stock(None)
    backend = context.world().add_pump(spec.name, stock)
    return Pump(spec.name, backend, spec.flow_limit_ml_min())


@register_driver("heater", "simulated", NoSettings, sections=FLOW_WORLD, virtual_time=True)
def _simulated_heater(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    low, high = spec.temperature_range_c(default_min_c=-20.0)
    return Heater(
        spec.name,
        SimulatedHeater(context.world()),
        context.clock,
        min_temperature_c=low,
        max_temperature_c=high,
    )


@register_driver("analyzer", "simulated", NoSettings, sections=FLOW_WORLD, virtual_time=True)
def _simulated_analyzer(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    return Analyzer(spec.name, SimulatedAnalyzer(context.world()))


@register_driver("valve", "simulated", NoSettings, sections=FLOW_WORLD, virtual_time=True)
def _simulated_valve(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    positions = spec.valve_positions()
    return Valve(spec.name, SimulatedValve(positions), positions)


# ------------------------------------------------------------ liquid handling


@register_driver("liquid_handler", "opentrons_simulate", NoSettings)
def _opentrons_simulate(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    backend = PlateFillingBackend(OpentronsSimulateBackend(), context.plates())
    timeout = spec.run_timeout_s or DEFAULT_RUN_TIMEOUT_S
    return LiquidHandler(spec.name, backend, spec.robot_deck().robot_type, timeout)


@register_driver("liquid_handler", "opentrons_http", OpentronsHttpSettings)
def _opentrons_http(
    spec: DeviceSpec, settings: OpentronsHttpSettings, context: BuildContext
) -> Device:
    backend: LiquidHandlerBackend = OpentronsHttpBackend(
        spec.name, settings.url, timeout_s=max(settings.timeout_s, 5.0), clock=context.clock
    )
    if _reads_simulated_plates(context.lab):
        backend = PlateFillingBackend(backend, context.plates())
    timeout = spec.run_timeout_s or DEFAULT_RUN_TIMEOUT_S
    return LiquidHandler(spec.name, backend, spec.robot_deck().robot_type, timeout)


def _reads_simulated_plates(lab: LabSpec) -> bool:
    """Whether a simulated plate reader reads what the lab's robots pipette."""
    entries = (find_driver(d.kind, d.driver) for d in lab.devices)
    return any(entry is not None and entry.reads_simulated_plates for entry in entries)


@register_driver(
    "plate_reader",
    "simulated_composition",
    NoSettings,
    reads_simulated_plates=True,
    reports_composition_only=True,
)
def _composition_reader(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    return PlateReader(spec.name, CompositionReader(context.plates()))


@register_driver(
    "plate_reader", "simulated_table_yield", TableYieldSettings, reads_simulated_plates=True
)
def _table_yield_reader(
    spec: DeviceSpec, settings: TableYieldSettings, context: BuildContext
) -> Device:
    try:
        table = YieldTable.load(settings.yield_table)
    except YieldTableError as exc:
        raise DeviceError(spec.name, str(exc)) from None
    return PlateReader(spec.name, TableYieldReader(context.plates(), table))


@register_driver("station", "experiment_table", ExperimentTableSettings, virtual_time=True)
def _table_station(
    spec: DeviceSpec, settings: ExperimentTableSettings, context: BuildContext
) -> Device:
    try:
        table = ExperimentTable.load(settings.experiment_table)
    except ExperimentTableError as exc:
        raise DeviceError(spec.name, str(exc)) from None
    return Station(spec.name, TableStation(spec.name, table))
