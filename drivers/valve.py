"""Selector and switching valves: move to a numbered position (1-based)."""

from __future__ import annotations

from abc import abstractmethod

from drivers.base import Backend, Device
from drivers.errors import DeviceError, DeviceLimitError


class ValveBackend(Backend):
    """Translates valve commands to a device."""

    @abstractmethod
    def switch_to(self, position: int, key: str) -> None:
        """Move to ``position`` and return once the valve is there."""

    @abstractmethod
    def position(self) -> int:
        """Return the position the valve is in now."""

    @abstractmethod
    def position_count(self) -> int:
        """Return how many positions the device says it has."""


class Valve(Device):
    """A valve frontend: refuses positions the valve does not have, tracks where it is."""

    kind = "valve"

    def __init__(self, name: str, backend: ValveBackend, positions: int) -> None:
        """Bind a valve.

        Args:
            name: Device name.
            backend: The wire or simulation.
            positions: Number of positions, as declared in the lab file.
        """
        super().__init__(name, backend)
        self.valve_backend = backend
        self.positions = positions
        self.current_position: int | None = None

    def connect(self) -> None:
        """Connect, and check the device has as many positions as the lab file says.

        Raises:
            DeviceError: The device reports another number of positions.
        """
        super().connect()
        reported = self.valve_backend.position_count()
        if reported != self.positions:
            raise DeviceError(
                self.name,
                f"the lab file declares {self.positions} positions but the valve "
                f"reports {reported}; fix 'positions' or the actuator setting",
            )
        self.current_position = self.valve_backend.position()

    def switch(self, position: int, key: str) -> None:
        """Move to ``position``.

        Raises:
            DeviceLimitError: The valve has no such position; nothing is sent.
        """
        if not 1 <= position <= self.positions:
            raise DeviceLimitError(
                self.name, f"position {position} does not exist; it has 1-{self.positions}"
            )
        self.valve_backend.switch_to(position, key)
        self.current_position = position

    def position(self) -> int:
        """Ask the valve where it is (and remember it)."""
        self.current_position = self.valve_backend.position()
        return self.current_position

    def safe_state(self) -> None:
        """A valve stays where it is: no position is safe for every plumbing."""
