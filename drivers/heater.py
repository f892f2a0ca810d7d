"""Heaters and temperature controllers."""

from __future__ import annotations

from abc import abstractmethod

from drivers.base import Backend, Device
from drivers.clock import Clock
from drivers.errors import DeviceLimitError, DeviceTimeoutError

POLL_INTERVAL_S = 5.0


class HeaterBackend(Backend):
    """Translates heater commands to a device."""

    @abstractmethod
    def set_temperature(self, temperature_c: float, key: str) -> None:
        """Set the setpoint."""

    @abstractmethod
    def temperature_c(self) -> float:
        """Return the measured temperature."""


class Heater(Device):
    """A heater frontend with setpoint limits and a wait-until-stable helper."""

    kind = "heater"

    def __init__(
        self,
        name: str,
        backend: HeaterBackend,
        clock: Clock,
        min_temperature_c: float,
        max_temperature_c: float,
    ) -> None:
        super().__init__(name, backend)
        self.heater_backend = backend
        self.clock = clock
        self.min_temperature_c = min_temperature_c
        self.max_temperature_c = max_temperature_c
        self.setpoint_c: float | None = None

    def set_temperature(self, temperature_c: float, key: str) -> None:
        """Change the setpoint.

        Raises:
            DeviceLimitError: Outside the heater's limits; nothing is sent.
        """
        if not self.min_temperature_c <= temperature_c <= self.max_temperature_c:
            raise DeviceLimitError(
                self.name,
                f"setpoint {temperature_c:g} °C is outside "
                f"[{self.min_temperature_c:g}, {self.max_temperature_c:g}] °C",
            )
        self.heater_backend.set_temperature(temperature_c, key)
        self.setpoint_c = temperature_c

    def temperature_c(self) -> float:
        """Return the measured temperature."""
        return self.heater_backend.temperature_c()

    def wait_until_stable(self, tolerance_c: float, timeout_s: float) -> float:
        """Poll until the temperature is within ``tolerance_c`` of the setpoint.

        Returns:
            The temperature reached.

        Raises:
            DeviceTimeoutError: Not stable within ``timeout_s``.
        """
        if self.setpoint_c is None:
            raise DeviceTimeoutError(self.name, "no setpoint to wait for")
        deadline = self.clock.now_s() + timeout_s
        while True:
            reading = self.temperature_c()
            if abs(reading - self.setpoint_c) <= tolerance_c:
                return reading
            if self.clock.now_s() >= deadline:
                raise DeviceTimeoutError(
                    self.name,
                    f"temperature {reading:.1f} °C did not reach "
                    f"{self.setpoint_c:g} ± {tolerance_c:g} °C within {timeout_s:g} s",
                )
            self.clock.sleep(POLL_INTERVAL_S)

    def safe_state(self) -> None:
        """Heaters are left at their setpoint; a flow lab cools by switching off elsewhere."""
