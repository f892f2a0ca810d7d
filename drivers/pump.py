"""Pumps: continuous delivery at a set flow rate."""

from __future__ import annotations

from abc import abstractmethod

from drivers.base import Backend, Device
from drivers.errors import DeviceLimitError


class PumpBackend(Backend):
    """Translates pump commands to a device."""

    @abstractmethod
    def set_flow_rate(self, flow_rate_ml_min: float, key: str) -> None:
        """Run at ``flow_rate_ml_min`` (0 stops)."""

    @abstractmethod
    def flow_rate_ml_min(self) -> float:
        """Return the flow rate the pump is delivering now."""


class Pump(Device):
    """A pump frontend that refuses flow rates beyond the pump's limit."""

    kind = "pump"

    def __init__(self, name: str, backend: PumpBackend, max_flow_rate_ml_min: float) -> None:
        super().__init__(name, backend)
        self.pump_backend = backend
        self.max_flow_rate_ml_min = max_flow_rate_ml_min
        self.setpoint_ml_min = 0.0

    def set_flow_rate(self, flow_rate_ml_min: float, key: str) -> None:
        """Run at ``flow_rate_ml_min``.

        Raises:
            DeviceLimitError: Negative, or above the pump's maximum; nothing is sent.
        """
        if not 0.0 <= flow_rate_ml_min <= self.max_flow_rate_ml_min:
            raise DeviceLimitError(
                self.name,
                f"flow rate {flow_rate_ml_min:g} mL/min is outside "
                f"[0, {self.max_flow_rate_ml_min:g}] mL/min",
            )
        self.pump_backend.set_flow_rate(flow_rate_ml_min, key)
        self.setpoint_ml_min = flow_rate_ml_min

    def flow_rate_ml_min(self) -> float:
        """Return the delivered flow rate."""
        return self.pump_backend.flow_rate_ml_min()

    def safe_state(self) -> None:
        """Stop pumping."""
        self.set_flow_rate(0.0, key=f"{self.name}:safe-state")
