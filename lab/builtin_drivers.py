"""The drivers dbtl ships: importing this module registers every one of them.

The lab-file schema (:mod:`lab.labspec`) imports it, so a lab is always
validated against the whole catalog (see :mod:`lab.driver_catalog`); a driver
of one's own registers with :func:`lab.driver_catalog.register_driver` in a
module imported before the lab is loaded.
"""

from __future__ import annotations

from lab import devices_pathway, devices_route, instrument_drivers, simulated_drivers

SHIPPED = (simulated_drivers, instrument_drivers, devices_route, devices_pathway)
"""The modules whose import registered the shipped drivers."""
