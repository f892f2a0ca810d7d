"""Incubators (shaking plate incubators): grow plates at a temperature for a time.

The frontend checks the request against the device's temperature range,
runs one incubation at a time and remembers finished incubations by key, so
an incubation is never repeated for a key it already ran; after a crash,
:meth:`Incubator.recall` tells whether the plates of a key were incubated.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from drivers.base import Backend, Device
from drivers.errors import DeviceError, DeviceLimitError


@dataclass(frozen=True)
class IncubationRecord:
    """One finished incubation."""

    labware: tuple[str, ...]
    temperature_c: float
    duration_h: float
    shaking_rpm: float


class IncubatorBackend(Backend):
    """Translates incubations to an instrument (or a simulation)."""

    @abstractmethod
    def incubate(
        self,
        labware: Sequence[str],
        temperature_c: float,
        duration_h: float,
        shaking_rpm: float,
        key: str,
    ) -> IncubationRecord:
        """Incubate the plates to the end and report what was done.

        Raises:
            DeviceError: The incubator failed.
        """

    def recall(self, key: str) -> IncubationRecord | None:
        """The incubation run under ``key``, if the instrument keeps a record (default: none)."""
        return None


class Incubator(Device):
    """An incubator frontend: one incubation at a time, within its temperature range."""

    kind = "incubator"

    def __init__(
        self,
        name: str,
        backend: IncubatorBackend,
        min_temperature_c: float,
        max_temperature_c: float,
        max_shaking_rpm: float = 1000.0,
    ) -> None:
        super().__init__(name, backend)
        self.incubator_backend = backend
        self.min_temperature_c = min_temperature_c
        self.max_temperature_c = max_temperature_c
        self.max_shaking_rpm = max_shaking_rpm
        self.finished: dict[str, IncubationRecord] = {}

    def incubate(
        self,
        labware: Sequence[str],
        temperature_c: float,
        duration_h: float,
        shaking_rpm: float,
        key: str,
    ) -> IncubationRecord:
        """Incubate plates (a key already incubated is not incubated again).

        Raises:
            DeviceLimitError: Temperature or shaking outside the device's range,
                or no plate; nothing is done.
            DeviceError: The incubation failed.
        """
        if key in self.finished:
            return self.finished[key]
        if not labware:
            raise DeviceLimitError(self.name, "name at least one plate to incubate")
        if not self.min_temperature_c <= temperature_c <= self.max_temperature_c:
            raise DeviceLimitError(
                self.name,
                f"{temperature_c:g} °C is outside {self.min_temperature_c:g}-"
                f"{self.max_temperature_c:g} °C",
            )
        if not 0 <= shaking_rpm <= self.max_shaking_rpm:
            raise DeviceLimitError(
                self.name, f"shaking {shaking_rpm:g} rpm exceeds {self.max_shaking_rpm:g} rpm"
            )
        record = self.incubator_backend.incubate(
            labware, temperature_c, duration_h, shaking_rpm, key
        )
        if tuple(record.labware) != tuple(labware):
            raise DeviceError(self.name, f"incubated {record.labware}, not {tuple(labware)}")
        self.finished[key] = record
        return record

    def recall(self, key: str) -> IncubationRecord | None:
        """The incubation run under ``key``, if this process or the instrument knows it."""
        return self.finished.get(key) or self.incubator_backend.recall(key)

    def safe_state(self) -> None:
        """An incubator holds its plates safely; nothing to stop."""
