"""A simulated plate reader whose yields come from a published HTE table.

Each well is read as the robot left it on the simulated bench: its volume and
species concentrations (as :class:`~simulators.plate_world.CompositionReader`
reports them) and, when the well holds one of the table's reactions, the
table's objective for it under the spec's quantity name (``yield_pct``),
with noise seeded by the read's key and the well. A well that holds no
reaction of the table gets no such reading; why is kept in :attr:`unread`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from pydantic import Field

from drivers.base import DeviceIdentity
from drivers.plate_reader import PlateReaderBackend
from drivers.settings import DriverSettings
from simulators.plate_conditions import infer_conditions
from simulators.plate_world import PlateWorld
from simulators.yield_table import ConditionsError, YieldTable, YieldTableSpec


class TableYieldReader(PlateReaderBackend):
    """Reads each well's composition and, for a reaction the table knows, its yield."""

    def __init__(self, world: PlateWorld, table: YieldTable) -> None:
        self.world = world
        self.table = table
        self.unread: dict[str, str] = {}
        """Well → why the last read of it gave no yield."""

    def identify(self) -> DeviceIdentity:
        """A simulated instrument, naming its table."""
        return DeviceIdentity(
            model="simulated table-backed yield reader",
            details={"table": str(self.table.spec.table), "reactions": str(len(self.table.values))},
        )

    def read_plate(
        self, labware: str, wells: Sequence[str], key: str
    ) -> Mapping[str, Mapping[str, float]]:
        """Composition of each well, plus the table's yield where the well is a known reaction."""
        stocks = self.world.stocks()
        quantity = self.table.spec.quantity
        readings: dict[str, dict[str, float]] = {}
        for well in wells:
            values = self.world.concentrations(labware, well)
            try:
                conditions = infer_conditions(self.world.well(labware, well), stocks, self.table)
                values[quantity] = self.table.observe(conditions, f"{key}/{well}")
                self.unread.pop(well, None)
            except ConditionsError as exc:
                self.unread[well] = str(exc)
            readings[well] = values
        return readings


class TableYieldSettings(DriverSettings):
    """The ``simulated_table_yield`` reader's lab-file entry: the table it reads yields from."""

    yield_table: YieldTableSpec = Field(
        description="the published table it reads yields from, and how that table was run"
    )

    def resolved(self, base_dir: Path) -> Self:
        """The settings with the table's path resolved in ``base_dir``."""
        return self.model_copy(update={"yield_table": self.yield_table.resolved(base_dir)})
