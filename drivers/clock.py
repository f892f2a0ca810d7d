"""Time as a dependency: real devices use the system clock, simulations a virtual one."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Something that tells the time and can wait."""

    def now_s(self) -> float:
        """Seconds since an arbitrary origin, monotonic."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """The machine's monotonic clock."""

    def now_s(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Sleep for real."""
        time.sleep(max(seconds, 0.0))


class ScaledClock:
    """Wall-clock time running ``time_scale`` times faster: for emulated labs.

    An emulated world and the orchestrator driving it each use a ``ScaledClock``
    with the same factor, so a ten-minute wait for steady state takes ten
    seconds at ``time_scale=60`` on both sides of the wire. Time starts at 0
    when the clock is created.
    """

    def __init__(self, time_scale: float) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        self.time_scale = time_scale
        self._origin = time.monotonic()

    def now_s(self) -> float:
        """Scaled seconds since the clock was created."""
        return (time.monotonic() - self._origin) * self.time_scale

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of scaled time (``seconds / time_scale`` for real)."""
        time.sleep(max(seconds, 0.0) / self.time_scale)
