"""The drivers dbtl ships: importing this module registers every one of them.

The lab-file schema (:mod:`lab.devices.lab_spec`) imports it, so a lab is always
validated against the whole catalog (see :mod:`lab.devices.catalog`); a driver
of one's own registers with :func:`lab.devices.catalog.register_driver` in a
module imported before the lab is loaded.
"""

from __future__ import annotations

from lab.devices import instruments as instrument_drivers
from lab.devices import pathway as devices_pathway
from lab.devices import route as devices_route
from lab.devices import simulated as simulated_drivers

SHIPPED = (simulated_drivers, instrument_drivers, devices_route, devices_pathway)
"""The modules whose import registered the shipped drivers."""
