"""A virtual clock: sleeping advances time instantly, so simulated campaigns run fast."""

from __future__ import annotations


class SimulatedClock:
    """Monotonic virtual time in seconds."""

    def __init__(self, start_s: float = 0.0) -> None:
        self._now_s = start_s

    def now_s(self) -> float:
        """Return the virtual time."""
        return self._now_s

    def sleep(self, seconds: float) -> None:
        """Advance the virtual time by ``seconds``."""
        self._now_s += max(seconds, 0.0)
