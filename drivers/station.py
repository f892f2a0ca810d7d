"""Experiment stations: instruments that run a whole experiment from its conditions.

Some instruments take a recipe (the conditions of one experiment) and return
its outcomes: an integrated reactor station, a contract lab's API, or a table
of published experiments replayed as an emulator. The frontend checks what
comes back; the backend runs (or looks up) the experiment.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping

from drivers.base import Backend, Device
from drivers.errors import DeviceError

Conditions = Mapping[str, str | float]


class StationBackend(Backend):
    """Runs one experiment on an instrument (or an emulator)."""

    @abstractmethod
    def run(self, conditions: Conditions, key: str) -> Mapping[str, float]:
        """Run one experiment and return outcome name → value.

        Raises:
            DeviceError: The instrument could not run these conditions.
        """

    def recall(self, key: str, conditions: Conditions) -> Mapping[str, float] | None:
        """Return the outcomes of the run ``key`` of ``conditions``, if the instrument kept them.

        Used after a crash to complete an experiment that ran but was not
        recorded. The default instrument remembers nothing.
        """
        return None


class Station(Device):
    """A station frontend that rejects non-finite outcomes."""

    kind = "station"

    def __init__(self, name: str, backend: StationBackend) -> None:
        super().__init__(name, backend)
        self.station_backend = backend

    def run(self, conditions: Conditions, key: str) -> dict[str, float]:
        """Run one experiment.

        Raises:
            DeviceError: The station failed or returned a missing or non-finite value.
        """
        values = dict(self.station_backend.run(conditions, key))
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise DeviceError(self.name, f"no finite value of {', '.join(bad)} for {key}")
        return values

    def recall(self, key: str, conditions: Conditions) -> dict[str, float] | None:
        """Return a past run's outcomes, or ``None`` if the station cannot tell."""
        values = self.station_backend.recall(key, conditions)
        return None if values is None else dict(values)

    def safe_state(self) -> None:
        """A station finishes or refuses each run; nothing is left running."""
