"""A simulated selector valve: moves instantly, remembers where it is."""

from __future__ import annotations

from drivers.base import DeviceIdentity
from drivers.valve import ValveBackend


class SimulatedValve(ValveBackend):
    """Valve backend for dry runs.

    Attributes:
        moves: (position, key) of every move, in order.
    """

    def __init__(self, positions: int, position: int = 1) -> None:
        self.positions = positions
        self._position = position
        self.moves: list[tuple[int, str]] = []

    def identify(self) -> DeviceIdentity:
        """Return a simulated identity with the number of positions."""
        return DeviceIdentity("simulated valve", details={"positions": str(self.positions)})

    def switch_to(self, position: int, key: str) -> None:
        """Move."""
        self._position = position
        self.moves.append((position, key))

    def position(self) -> int:
        """Return the position."""
        return self._position

    def position_count(self) -> int:
        """Return the number of positions."""
        return self.positions
