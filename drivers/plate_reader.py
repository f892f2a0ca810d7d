"""Plate readers: read wells of a plate, return named quantities per well."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping, Sequence

from drivers.base import Backend, Device
from drivers.errors import DeviceError, DeviceLimitError


class PlateReaderBackend(Backend):
    """Translates a plate read to an instrument (or a simulation)."""

    @abstractmethod
    def read_plate(
        self, labware: str, wells: Sequence[str], key: str
    ) -> Mapping[str, Mapping[str, float]]:
        """Read ``wells`` of plate ``labware``; return ``{well: {quantity: value}}``."""


class PlateReader(Device):
    """A plate-reader frontend that insists on a finite value for every requested well."""

    kind = "plate_reader"

    def __init__(self, name: str, backend: PlateReaderBackend) -> None:
        super().__init__(name, backend)
        self.reader_backend = backend

    def read_plate(
        self, labware: str, wells: Sequence[str], key: str
    ) -> dict[str, dict[str, float]]:
        """Read wells of a plate.

        Raises:
            DeviceLimitError: No well, or a well listed twice; nothing is read.
            DeviceError: A requested well is missing from the answer, or a
                value is not finite.
        """
        if not wells or len(set(wells)) != len(wells):
            raise DeviceLimitError(self.name, "give each well to read once (at least one)")
        answer = {
            w: dict(v) for w, v in self.reader_backend.read_plate(labware, wells, key).items()
        }
        missing = [w for w in wells if w not in answer]
        if missing:
            raise DeviceError(self.name, f"no reading for well(s) {', '.join(missing)}")
        bad = [f"{w}.{q}" for w in wells for q, v in answer[w].items() if not math.isfinite(v)]
        if bad:
            raise DeviceError(self.name, f"non-finite reading for {', '.join(bad)}")
        return {w: answer[w] for w in wells}

    def safe_state(self) -> None:
        """A plate reader has nothing to stop."""
