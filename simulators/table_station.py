"""A station that replays a table of published experiments (see :mod:`drivers.station`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Self

from pydantic import Field

from drivers.base import DeviceIdentity
from drivers.errors import DeviceError
from drivers.settings import DriverSettings
from drivers.station import Conditions, StationBackend
from simulators.experiment_table import (
    ConditionsNotInTableError,
    ExperimentTable,
    ExperimentTableSpec,
)


class TableStation(StationBackend):
    """Answers each run with the table's (averaged) outcomes for its conditions.

    A combination the table does not hold is refused with a device error, as a
    real station refuses a recipe it cannot run. A run left unrecorded by a
    crash is recalled from the table, never flagged for a person.
    """

    def __init__(self, name: str, table: ExperimentTable) -> None:
        self.name = name
        self.table = table
        self._runs: dict[str, dict[str, float]] = {}

    def identify(self) -> DeviceIdentity:
        """A simulated instrument, naming its table."""
        return DeviceIdentity(
            model="table of published experiments",
            details={"table": str(self.table.spec.table), "designs": str(len(self.table))},
        )

    def run(self, conditions: Conditions, key: str) -> Mapping[str, float]:
        """The table's outcomes for ``conditions``."""
        try:
            values = self.table.lookup(conditions)
        except ConditionsNotInTableError as exc:
            raise DeviceError(self.name, str(exc)) from None
        self._runs[key] = values
        return values

    def recall(self, key: str, conditions: Conditions) -> Mapping[str, float] | None:
        """The outcomes of the run, from memory or, after a restart, from the table.

        A table is a record of experiments already made: reading it again
        recalls a result, it does not run anything twice.
        """
        if key in self._runs:
            return self._runs[key]
        try:
            return self.table.lookup(conditions)
        except ConditionsNotInTableError:
            return None


class ExperimentTableSettings(DriverSettings):
    """The ``experiment_table`` station's lab-file entry: the table of experiments it replays."""

    experiment_table: ExperimentTableSpec = Field(
        description="the table of experiments it replays: file, parameter and outcome columns"
    )

    def resolved(self, base_dir: Path) -> Self:
        """The settings with the table's path resolved in ``base_dir``."""
        return self.model_copy(
            update={"experiment_table": self.experiment_table.resolved(base_dir)}
        )
