"""The route world as a lab device: a ``station`` with driver ``route_world``.

Importing this module registers the factory (see :func:`lab.devices.catalog.register_driver`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers.base import Device
from drivers.settings import NoSettings
from drivers.station import Station
from lab.devices.catalog import register_driver
from simulators.route_station import RouteWorldStation
from simulators.route_world import RouteWorld

if TYPE_CHECKING:
    from lab.devices.lab_spec import DeviceSpec
    from lab.devices.registry import BuildContext

ROUTE_WORLD_NOISE_RELATIVE_SD = 0.03
"""Noise of each observed step yield on the shipped route bench."""


@register_driver("station", "route_world", NoSettings)
def _route_world(spec: DeviceSpec, settings: NoSettings, context: BuildContext) -> Device:
    world = RouteWorld(seed=0, noise_relative_sd=ROUTE_WORLD_NOISE_RELATIVE_SD)
    return Station(spec.name, RouteWorldStation(spec.name, world))
