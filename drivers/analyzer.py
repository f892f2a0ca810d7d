"""Analyzers: take a sample, return named quantities."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from drivers.base import Backend, Device
from drivers.errors import DeviceError


@dataclass(frozen=True)
class RawRecord:
    """A file an instrument wrote for one analysis (e.g. the HPLC report of one injection)."""

    file_name: str
    content: bytes


class AnalyzerBackend(Backend):
    """Translates an analysis request to an instrument."""

    @abstractmethod
    def measure(self, label: str, key: str) -> Mapping[str, float]:
        """Analyze one sample and return quantity name → value."""

    def recall(self, key: str) -> Mapping[str, float] | None:
        """Return the result of the analysis run with ``key``, if the instrument kept it.

        Used after a crash to complete an experiment whose sample was analyzed
        but not recorded. The default instrument remembers nothing.
        """
        return None

    def raw_record(self, key: str) -> RawRecord | None:
        """Return the raw file the instrument wrote for the analysis ``key``, if it wrote one."""
        return None


class Analyzer(Device):
    """An analyzer frontend that rejects non-finite readings."""

    kind = "analyzer"

    def __init__(self, name: str, backend: AnalyzerBackend) -> None:
        super().__init__(name, backend)
        self.analyzer_backend = backend

    def measure(self, label: str, key: str) -> dict[str, float]:
        """Analyze one sample.

        Raises:
            DeviceError: The instrument returned a missing or non-finite value.
        """
        values = dict(self.analyzer_backend.measure(label, key))
        bad = [k for k, v in values.items() if not math.isfinite(v)]
        if bad:
            raise DeviceError(self.name, f"non-finite reading for {', '.join(bad)}")
        return values

    def recall(self, key: str) -> dict[str, float] | None:
        """Return a past analysis by its key, or ``None`` if the instrument cannot tell."""
        values = self.analyzer_backend.recall(key)
        return None if values is None else dict(values)

    def raw_record(self, key: str) -> RawRecord | None:
        """The raw file of the analysis ``key`` (for provenance), or ``None``."""
        return self.analyzer_backend.raw_record(key)

    def safe_state(self) -> None:
        """An analyzer has nothing to stop."""
