"""Put a command/reply device emulator on a real wire: a TCP socket or a pseudo-terminal.

An emulator is a :class:`Responder`: it receives one command (without its
terminator) and returns the reply bytes, or None for no reply. The servers
here split the incoming bytes into commands and write the replies back:

- :class:`TcpServer` listens on ``host:port`` (port 0 picks a free one);
  drivers reach it with ``socket://host:port``, like a serial device server.
- :class:`PtyServer` opens a pseudo-terminal in raw mode; drivers open its
  ``path`` like a serial port (POSIX only).

Stopping a server closes every connection, which is what a driver sees when
a device is unplugged. :class:`Faults` makes the next replies misbehave, for
failure tests over a real wire.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import socket
import threading
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

POLL_S = 0.05
"""How often server threads look at their stop flag."""


class Responder(Protocol):
    """A device emulator at the command level."""

    terminator: bytes
    """What ends a command on the wire (``b"\\r"`` for most ASCII protocols)."""

    def respond(self, command: bytes) -> bytes | None:
        """Handle one command (terminator stripped); return the reply, or None."""
        ...


@dataclass
class Faults:
    """Misbehaviour applied to the next replies (each counter is a number of replies).

    Attributes:
        silent: Swallow the reply (the driver times out).
        garble: Replace the reply with bytes that are not a frame.
        truncate: Send only the first half of the reply.
    """

    silent: int = 0
    garble: int = 0
    truncate: int = 0

    def apply(self, reply: bytes) -> bytes | None:
        """Return what is actually sent instead of ``reply`` (None: nothing)."""
        if self.silent > 0:
            self.silent -= 1
            return None
        if self.garble > 0:
            self.garble -= 1
            return b"\xff#@!" + reply[::-1][: len(reply) // 2]
        if self.truncate > 0:
            self.truncate -= 1
            return reply[: len(reply) // 2]
        return reply


class _CommandStream:
    """Splits incoming bytes into commands and answers them."""

    def __init__(self, responder: Responder, faults: Faults) -> None:
        self.responder = responder
        self.faults = faults
        self.buffer = b""

    def feed(self, data: bytes) -> bytes:
        """Take received bytes; return the bytes to send back."""
        self.buffer += data
        out = b""
        terminator = self.responder.terminator
        while terminator in self.buffer:
            command, self.buffer = self.buffer.split(terminator, 1)
            reply = self.responder.respond(command)
            if reply is not None:
                out += self.faults.apply(reply) or b""
        return out


class TcpServer:
    """Serves one responder on a TCP port, one thread per connection."""

    def __init__(
        self, responder: Responder, host: str = "127.0.0.1", port: int = 0, name: str = ""
    ) -> None:
        """Bind (not yet serving).

        Raises:
            OSError: The address cannot be bound (in use, not local...).
        """
        self.responder = responder
        self.name = name or type(responder).__name__
        self.faults = Faults()
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(POLL_S)
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The pyserial URL that reaches this server."""
        return f"socket://{self.host}:{self.port}"

    def start(self) -> TcpServer:
        """Start accepting connections; return self."""
        self._spawn(self._accept_loop, "accept")
        return self

    def stop(self) -> None:
        """Close the listener and every connection; wait for the threads."""
        self._stop.set()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._listener.close()

    def drop_connections(self) -> int:
        """Close every open connection, as a flaky cable would; keep listening. Return how many."""
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
        return len(clients)

    def _spawn(self, target: object, what: str, *args: object) -> None:
        thread = threading.Thread(
            target=target,  # type: ignore[arg-type]
            args=args,
            name=f"{self.name}-{what}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._clients.append(client)
            self._spawn(self._serve, "client", client)

    def _serve(self, client: socket.socket) -> None:
        stream = _CommandStream(self.responder, self.faults)
        client.settimeout(POLL_S)
        with client:
            while not self._stop.is_set():
                try:
                    data = client.recv(4096)
                except TimeoutError:
                    continue
                except OSError:
                    break
                if not data:
                    break
                reply = stream.feed(data)
                if reply:
                    with contextlib.suppress(OSError):
                        client.sendall(reply)
        with self._lock:
            self._clients.remove(client)


class PtyServer:
    """Serves one responder on a pseudo-terminal (POSIX): drivers open :attr:`path`."""

    def __init__(self, responder: Responder, name: str = "") -> None:
        import pty
        import tty

        self.responder = responder
        self.name = name or type(responder).__name__
        self.faults = Faults()
        self._master, self._slave = pty.openpty()
        tty.setraw(self._slave)  # no echo, no CR/LF translation
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"{self.name}-pty", daemon=True)

    @property
    def url(self) -> str:
        """The port to open (a device path)."""
        return self.path

    def start(self) -> PtyServer:
        """Start answering; return self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering and close the terminal (the driver's port goes dead)."""
        self._stop.set()
        self._thread.join(timeout=2.0)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _serve(self) -> None:
        stream = _CommandStream(self.responder, self.faults)
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], POLL_S)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            reply = stream.feed(data)
            if reply:
                os.write(self._master, reply)
