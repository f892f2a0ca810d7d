"""A scripted stand-in for a pyserial port: exact bytes out, scripted bytes back."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import serial

from drivers.transport import SerialLink


@dataclass
class Exchange:
    """One expected write and what the device does about it.

    ``reply`` is sent back (possibly empty: silence); ``error`` is raised by
    the next read instead (a vanished device).
    """

    request: bytes
    reply: bytes = b""
    error: Exception | None = None


@dataclass
class ScriptedPort:
    """A fake port that checks every write against a script.

    Attributes:
        script: The exchanges still expected, in order.
        written: Every write, in order.
    """

    script: deque[Exchange] = field(default_factory=deque)
    written: list[bytes] = field(default_factory=list)
    timeout: float | None = None
    closed: bool = False
    _incoming: bytearray = field(default_factory=bytearray)
    _error: Exception | None = None

    def expect(self, request: bytes, reply: bytes = b"", error: Exception | None = None) -> None:
        """Add an exchange to the script."""
        self.script.append(Exchange(request, reply, error))

    def write(self, data: bytes, /) -> int:
        self.written.append(bytes(data))
        assert self.script, f"unexpected write {data!r}"
        exchange = self.script.popleft()
        assert data == exchange.request, f"wrote {data!r}, expected {exchange.request!r}"
        self._incoming += exchange.reply
        self._error = exchange.error
        return len(data)

    def read(self, size: int = 1, /) -> bytes:
        if self._error is not None:
            raise self._error
        chunk = bytes(self._incoming[:size])
        del self._incoming[:size]
        return chunk

    @property
    def in_waiting(self) -> int:
        return len(self._incoming)

    def reset_input_buffer(self) -> None:
        self._incoming.clear()

    def close(self) -> None:
        self.closed = True


def scripted_link(
    name: str = "dev", port: ScriptedPort | None = None, **kwargs: object
) -> tuple[SerialLink, ScriptedPort, list[float]]:
    """A link over a scripted port; also returns the backoff sleeps it asked for."""
    port = port or ScriptedPort()
    sleeps: list[float] = []
    kwargs.setdefault("timeout_s", 0.2)
    link = SerialLink(name, "fake://port", lambda: port, sleep=sleeps.append, **kwargs)  # type: ignore[arg-type]
    return link, port, sleeps


VANISHED = serial.SerialException("socket disconnected")
