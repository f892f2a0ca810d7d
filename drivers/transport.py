"""Byte transport for serial instruments: one link per device, over any pyserial URL.

``serial.serial_for_url`` makes a device path (``/dev/ttyUSB0``, ``COM3``), a
serial device server (``socket://host:port``, ``rfc2217://host:port``) and an
in-memory loop (``loop://``) interchangeable. A :class:`SerialLink` adds what
every instrument protocol needs on top of that:

- a deadline on every reply, so no command ever hangs;
- framing by a pure rule (``FrameRule``) supplied by the protocol module;
- OS and pyserial errors mapped to :class:`~drivers.errors.DeviceError`
  subclasses naming the device;
- retries with exponential backoff for idempotent queries only (a command
  that changes the device is sent once: after a lost reply nobody knows
  whether it ran);
- a reconnect after a dropped connection, and a debug log of every frame
  with the idempotency key of the command that sent it.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import serial

from drivers.errors import (
    DeviceConnectionError,
    DeviceError,
    DeviceNoReplyError,
    DeviceProtocolError,
    DeviceTimeoutError,
    DeviceUnreachableError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

READ_SLICE_S = 0.02
"""Longest single blocking read; the reply deadline is checked between reads."""

MAX_REPLY_BYTES = 1024
"""A reply longer than this without a complete frame is line noise."""

IO_ERRORS: tuple[type[Exception], ...] = (serial.SerialException, OSError)
"""What a port raises when the line or the device is gone."""
try:  # POSIX serial ports and ptys raise termios.error (not an OSError) from tcflush
    import termios

    IO_ERRORS += (termios.error,)
except ImportError:  # pragma: no cover - Windows
    pass

OPEN_ERRORS: tuple[type[Exception], ...] = (*IO_ERRORS, ValueError)
"""What opening a port raises (pyserial raises ValueError for malformed URLs)."""

RETRYABLE: tuple[type[DeviceError], ...] = (
    DeviceTimeoutError,
    DeviceProtocolError,
    DeviceConnectionError,
)
"""Failures worth another attempt, for an idempotent query."""


class Connection(Protocol):
    """What a link needs from a port: ``serial.Serial`` and every URL handler fit."""

    timeout: float | None

    def write(self, data: bytes, /) -> int | None:
        """Send bytes."""
        ...

    def read(self, size: int = 1, /) -> bytes:
        """Read up to ``size`` bytes, waiting at most ``timeout``."""
        ...

    @property
    def in_waiting(self) -> int:
        """Bytes (or, for sockets, whether bytes) are waiting to be read."""
        ...

    def reset_input_buffer(self) -> None:
        """Drop whatever was received and not read."""
        ...

    def close(self) -> None:
        """Close the port."""
        ...


ConnectionFactory = Callable[[], Connection]
"""Opens a connection; called again to reconnect after the connection dropped."""

FrameRule = Callable[[bytes], int]
"""Given the bytes received so far, return the length of the complete reply
frame, or 0 to read more. Raise ``ValueError`` if the bytes cannot be a reply."""


def serial_port(url: str, *, baudrate: int, write_timeout_s: float = 2.0) -> ConnectionFactory:
    """Return a factory that opens ``url`` with ``serial.serial_for_url`` (8N1).

    Args:
        url: A device path or a pyserial URL (``socket://``, ``rfc2217://``, ``loop://``).
        baudrate: Line speed; ignored by network URLs.
        write_timeout_s: Longest a write may block.
    """

    def open_port() -> Connection:
        port: Connection = serial.serial_for_url(
            url, baudrate=baudrate, timeout=READ_SLICE_S, write_timeout=write_timeout_s
        )
        return port

    return open_port


def terminated_by(terminator: bytes) -> FrameRule:
    """Frame rule for replies that end with ``terminator``."""

    def rule(buffer: bytes) -> int:
        end = buffer.find(terminator)
        return end + len(terminator) if end >= 0 else 0

    return rule


@dataclass(frozen=True)
class RetryPolicy:
    """How often, and how patiently, an idempotent query is retried.

    Attributes:
        attempts: Total attempts for an idempotent query (1 disables retries).
        backoff_s: Wait before the second attempt.
        factor: Each further wait is this many times longer.
    """

    attempts: int = 3
    backoff_s: float = 0.05
    factor: float = 2.0

    def delay_s(self, attempt: int) -> float:
        """Wait after failed attempt number ``attempt`` (1-based)."""
        return float(self.backoff_s * self.factor ** (attempt - 1))


class SerialLink:
    """The wire of one device: request/reply exchanges with deadlines and retries."""

    def __init__(
        self,
        device: str,
        port: str,
        factory: ConnectionFactory,
        *,
        timeout_s: float = 2.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Create a closed link.

        Args:
            device: Device name, used in every error and log line.
            port: The port as written in the lab file, for messages.
            factory: Opens the connection (see :func:`serial_port`).
            timeout_s: Deadline for each complete reply.
            retry: Retry policy for idempotent queries.
            sleep: Waits between retries (injected by tests).
        """
        self.device = device
        self.port = port
        self.factory = factory
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._connection: Connection | None = None
        self.connections = 0
        """How many times the connection was opened (a change means it dropped and reopened)."""

    # ------------------------------------------------------------ connection
    @property
    def is_open(self) -> bool:
        """Whether a connection is open now."""
        return self._connection is not None

    def open(self) -> None:
        """Open the connection (a no-op if it is open).

        Raises:
            DeviceUnreachableError: The port cannot be opened.
        """
        if self._connection is not None:
            return
        try:
            connection = self.factory()
        except OPEN_ERRORS as exc:
            reason = re.sub(rf"(?i)could not open port {re.escape(self.port)}: ", "", str(exc))
            raise DeviceUnreachableError(
                self.device, f"cannot open port {self.port}: {reason}"
            ) from exc
        connection.timeout = READ_SLICE_S
        self._connection = connection
        self.connections += 1

    def close(self) -> None:
        """Close the connection; never raises."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.close()
            except IO_ERRORS as exc:
                log.debug("%s: error closing %s: %s", self.device, self.port, exc)

    # ------------------------------------------------------------- exchanges
    def send(self, request: bytes, *, label: str, key: str) -> None:
        """Send a command that has no reply. Never retried.

        Raises:
            DeviceConnectionError: The connection could not be opened or dropped.
            DeviceTimeoutError: The write did not complete in time.
        """
        connection = self._ready()
        log.debug("%s > %r (%s, key %s)", self.device, request, label, key or "-")
        self._write(connection, request, label)

    def exchange(
        self,
        request: bytes,
        frame: FrameRule,
        parse: Callable[[bytes], T],
        *,
        label: str,
        key: str,
        idempotent: bool = False,
    ) -> T:
        """Send ``request``, read one reply framed by ``frame`` and return ``parse(reply)``.

        Args:
            request: The complete frame to send.
            frame: Tells when the reply is complete.
            parse: Turns the reply into a value; raises a ``DeviceError`` if the
                reply is wrong or reports a failure.
            label: The command in words, for messages (``RAT 350.0 UM``).
            key: Idempotency key of the step that sent it (logged).
            idempotent: Whether sending it twice is harmless; only then is a
                timeout, garbled reply or dropped connection retried.

        Raises:
            DeviceTimeoutError: No complete reply in time.
            DeviceProtocolError: A garbled or incomplete reply.
            DeviceConnectionError: The connection dropped or could not be opened.
            DeviceError: Whatever ``parse`` raises.
        """
        attempts = self.retry.attempts if idempotent else 1
        for attempt in range(1, attempts + 1):
            try:
                return parse(self._round_trip(request, frame, label, key))
            except RETRYABLE as exc:
                if attempt == attempts:
                    if attempts > 1:
                        raise type(exc)(
                            self.device, f"{exc.message} (gave up after {attempts} attempts)"
                        ) from exc
                    raise
                delay = self.retry.delay_s(attempt)
                log.warning(
                    "%s: %s; retrying %s in %.2f s (%d/%d)",
                    self.device,
                    exc.message,
                    label,
                    delay,
                    attempt + 1,
                    attempts,
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    # ------------------------------------------------------------- internals
    def _ready(self) -> Connection:
        self.open()
        assert self._connection is not None
        return self._connection

    def _round_trip(self, request: bytes, frame: FrameRule, label: str, key: str) -> bytes:
        connection = self._ready()
        try:
            connection.reset_input_buffer()
        except IO_ERRORS as exc:
            raise self._lost(exc, label) from exc
        log.debug("%s > %r (%s, key %s)", self.device, request, label, key or "-")
        self._write(connection, request, label)
        reply = self._read_frame(connection, frame, label)
        log.debug("%s < %r", self.device, reply)
        return reply

    def _write(self, connection: Connection, request: bytes, label: str) -> None:
        try:
            connection.write(request)
        except serial.SerialTimeoutException as exc:
            raise DeviceNoReplyError(
                self.device, f"sending {label} to {self.port} timed out"
            ) from exc
        except IO_ERRORS as exc:
            raise self._lost(exc, label) from exc

    def _read_frame(self, connection: Connection, frame: FrameRule, label: str) -> bytes:
        deadline = time.monotonic() + self.timeout_s
        buffer = b""
        while True:
            try:
                buffer += connection.read(max(1, connection.in_waiting))
            except IO_ERRORS as exc:
                raise self._lost(exc, label) from exc
            try:
                length = frame(buffer) if buffer else 0
            except ValueError as exc:
                raise DeviceProtocolError(
                    self.device, f"garbled reply to {label}: {buffer!r} ({exc})"
                ) from exc
            if length:
                return buffer[:length]
            if len(buffer) > MAX_REPLY_BYTES:
                raise DeviceProtocolError(
                    self.device, f"garbled reply to {label}: {len(buffer)} bytes without a frame"
                )
            if time.monotonic() >= deadline:
                raise self._silence(buffer, label)

    def _silence(self, buffer: bytes, label: str) -> DeviceError:
        if buffer:
            return DeviceProtocolError(
                self.device,
                f"incomplete reply to {label}: {buffer!r} (no end of frame within "
                f"{self.timeout_s:g} s)",
            )
        return DeviceNoReplyError(
            self.device, f"no reply to {label} within {self.timeout_s:g} s on {self.port}"
        )

    def _lost(self, exc: Exception, label: str) -> DeviceConnectionError:
        self.close()
        return DeviceConnectionError(
            self.device, f"connection to {self.port} lost during {label}: {exc}"
        )
