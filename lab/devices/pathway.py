"""The simulated biofoundry's devices: driver ``simulated_biofoundry`` for three kinds.

(and a ``station`` with driver ``pathway_world`` that runs each design whole, for benchmarks)

A liquid handler (every program runs in the Opentrons simulator, and its
command log sets up the bench), an incubator and a plate reader (Gen5 exports
read back through allotropy) share one :class:`~simulators.pathway.biofoundry.Biofoundry`
per lab, built from the lab file's ``biofoundry`` section. Importing this
module registers the factories (see :func:`lab.devices.catalog.register_driver`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers.base import Device
from drivers.errors import DeviceError
from drivers.incubator import Incubator
from drivers.liquid_handler import LiquidHandler
from drivers.plate_reader import PlateReader
from drivers.settings import NoSettings
from drivers.station import Station
from lab.devices.catalog import DEFAULT_RUN_TIMEOUT_S, register_driver
from planner.pathway.parts import PartsFileError
from simulators.opentrons_sim import OpentronsSimulateBackend
from simulators.pathway.biofoundry import (
    Biofoundry,
    BiofoundryReader,
    BiofoundryRobot,
    SimulatedIncubator,
)
from simulators.pathway.station import PathwayStation

if TYPE_CHECKING:
    from lab.devices.lab_spec import DeviceSpec
    from lab.devices.registry import BuildContext

DRIVER = "simulated_biofoundry"


def bench_of(spec: DeviceSpec, context: BuildContext) -> Biofoundry:
    """The lab's simulated biofoundry, created on first use.

    Raises:
        DeviceError: The lab's ``biofoundry`` section names a bad parts file.
    """
    bench = context.shared.get(DRIVER)
    if isinstance(bench, Biofoundry):
        return bench
    section = context.lab.biofoundry
    if section is None:  # LabSpec requires it for these drivers
        raise DeviceError(spec.name, "the biofoundry drivers need the lab's 'biofoundry' section")
    try:
        world = section.world()
    except (PartsFileError, ValueError) as exc:
        raise DeviceError(spec.name, f"biofoundry: {exc}") from None
    bench = Biofoundry(world, death_rate=section.death_rate)
    context.shared[DRIVER] = bench
    return bench


SECTIONS = ("biofoundry",)
"""What the biofoundry's drivers need: the lab's ``biofoundry`` section."""


@register_driver("liquid_handler", DRIVER, NoSettings, sections=SECTIONS)
def _robot(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    backend = BiofoundryRobot(OpentronsSimulateBackend(), bench_of(spec, context))
    timeout = spec.run_timeout_s or DEFAULT_RUN_TIMEOUT_S
    return LiquidHandler(spec.name, backend, spec.robot_deck().robot_type, timeout)


@register_driver("incubator", DRIVER, NoSettings, sections=SECTIONS)
def _incubator(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    low, high = spec.temperature_range_c(default_min_c=4.0)
    return Incubator(spec.name, SimulatedIncubator(bench_of(spec, context)), low, high)


@register_driver("plate_reader", DRIVER, NoSettings, sections=SECTIONS)
def _reader(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    return PlateReader(spec.name, BiofoundryReader(bench_of(spec, context), spec.name))


@register_driver("station", "pathway_world", NoSettings, sections=SECTIONS)
def _station(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    bench = bench_of(spec, context)
    return Station(spec.name, PathwayStation(spec.name, bench.world, bench.death_rate))
