"""Analyzers: take a sample, return named quantities."""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Mapping

from drivers.base import Backend, Device
from drivers.errors import DeviceError


class AnalyzerBackend(Backend):
    """Translates an analysis request to an instrument."""

    @abstractmethod
    def measure(self, label: str, key: str) -> Mapping[str, float]:
        """Analyze one sample and return quantity name → value."""


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

    def safe_state(self) -> None:
        """An analyzer has nothing to stop."""
