r"""VICI Valco universal electric actuators (EUH/EUD/EUT, UMH...), serial protocol.

Wire format (universal actuator manual, "Serial Commands")::

    to actuator:    [ID] command [argument] CR        e.g. b"GO3\r", b"1CP\r"
    from actuator:  answer CR                         e.g. b"CP03\r"

Queries answer one line: ``CP`` the position (``CP03``, ``CPA`` for a
two-position valve; with the legacy long responses ``LG1``, ``CP = 03`` or
``Position is = 3``), ``NP`` the number of positions (``NP10``), ``AM`` the
actuator mode (``AM3``: 1 and 2 are two-position, 3 multiposition), ``VR``
the firmware. Action commands (``GO``) answer depending on the interface
response mode, so the driver sets ``IFM0`` (no answer to actions) on connect
and confirms every move by polling ``CP``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from enum import StrEnum

from pydantic import Field, field_validator

from drivers.base import DeviceIdentity
from drivers.errors import DeviceProtocolError, DeviceTimeoutError
from drivers.settings import SerialSettings, address_problem
from drivers.transport import SerialLink, terminated_by
from drivers.valve import ValveBackend

CR = b"\r"
BAUDRATE = 9600
"""Factory setting of the actuators."""
TWO_POSITION_LETTERS = {1: "A", 2: "B"}


class Command(StrEnum):
    """Universal actuator command codes."""

    GO = "GO"
    CURRENT_POSITION = "CP"
    POSITIONS = "NP"
    MODE = "AM"
    RESPONSE_MODE = "IFM"
    VERSION = "VR"


def build_command(command: Command, argument: str = "", device_id: int | None = None) -> bytes:
    """Return the bytes of one command, e.g. ``build_command(Command.GO, "3")``.

    Raises:
        ValueError: A device ID outside 0-9.
    """
    if device_id is not None and not 0 <= device_id <= 9:
        raise ValueError(f"actuator ID must be 0-9, got {device_id}")
    prefix = "" if device_id is None else str(device_id)
    return f"{prefix}{command.value}{argument}".encode("ascii") + CR


def go_argument(position: int, two_position: bool) -> str:
    """The argument of ``GO``: ``A``/``B`` on a two-position valve, else the number."""
    return TWO_POSITION_LETTERS[position] if two_position else str(position)


def _answer(line: bytes, device_id: int | None) -> str:
    text = line.decode("ascii", errors="replace").strip()
    if device_id is not None and text.startswith(str(device_id)):
        text = text[1:]
    return text


_POSITION = re.compile(r"(?:CP|Position is)\s*=?\s*(\d{1,2}|[AB])")


def parse_position(line: bytes, device_id: int | None = None) -> int:
    """Decode a ``CP`` answer to a 1-based position (``A`` = 1, ``B`` = 2).

    Raises:
        ValueError: Not a position answer.
    """
    text = _answer(line, device_id)
    match = _POSITION.fullmatch(text)
    if match is None:
        raise ValueError(f"not a position: {text!r}")
    value = match[1]
    return {"A": 1, "B": 2}.get(value) or int(value)


def parse_setting(line: bytes, command: Command, device_id: int | None = None) -> int:
    """Decode a numeric setting answer such as ``NP10`` or ``AM3``.

    Raises:
        ValueError: Not an answer to ``command``.
    """
    text = _answer(line, device_id)
    match = re.fullmatch(rf"{command.value}\s*=?\s*(\d{{1,2}})", text)
    if match is None:
        raise ValueError(f"not an answer to {command.value}: {text!r}")
    return int(match[1])


class ViciValveBackend(ValveBackend):
    """One universal actuator on its own port (or addressed by its ID)."""

    def __init__(
        self,
        name: str,
        link: SerialLink,
        device_id: int | None = None,
        move_timeout_s: float = 5.0,
        poll_interval_s: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Bind an actuator.

        Args:
            name: Device name, for errors.
            link: The actuator's (unopened) serial link.
            device_id: The actuator's ID prefix (0-9), or None if IDs are off.
            move_timeout_s: Longest a move may take, in real seconds.
            poll_interval_s: Wait between position queries during a move.
            sleep: Waits between polls (injected by tests).
        """
        build_command(Command.CURRENT_POSITION, device_id=device_id)  # checks the ID
        self.name = name
        self.link = link
        self.device_id = device_id
        self.move_timeout_s = move_timeout_s
        self.poll_interval_s = poll_interval_s
        self._sleep = sleep
        self.mode: int | None = None

    @property
    def two_position(self) -> bool:
        """Whether the actuator runs a two-position valve (modes 1 and 2)."""
        return self.mode in (1, 2)

    def connect(self) -> None:
        """Open the port, read the actuator mode and silence answers to actions (``IFM0``)."""
        self.link.open()
        self.mode = self._setting(Command.MODE)
        self.link.send(
            build_command(Command.RESPONSE_MODE, "0", self.device_id), label="IFM0", key=""
        )

    def disconnect(self) -> None:
        """Close the port."""
        self.link.close()

    def identify(self) -> DeviceIdentity:
        """Ask the firmware version (``VR``) and the valve's configuration."""
        firmware = self.link.exchange(
            build_command(Command.VERSION, device_id=self.device_id),
            terminated_by(CR),
            lambda line: _answer(line, self.device_id),
            label="VR",
            key="",
            idempotent=True,
        )
        return DeviceIdentity(
            model="VICI universal actuator",
            firmware=firmware,
            details={"mode": str(self.mode), "positions": str(self.position_count())},
        )

    def position_count(self) -> int:
        """Two for a two-position valve, else the ``NP`` setting."""
        return 2 if self.two_position else self._setting(Command.POSITIONS)

    def position(self) -> int:
        """Ask the position (``CP``)."""
        return self.link.exchange(
            build_command(Command.CURRENT_POSITION, device_id=self.device_id),
            terminated_by(CR),
            lambda line: self._decode(parse_position, line, "CP"),
            label="CP",
            key="",
            idempotent=True,
        )

    def switch_to(self, position: int, key: str) -> None:
        """Send ``GO`` once, then poll ``CP`` until the valve is there.

        If the connection dropped and was reopened while polling, ``GO`` is
        sent again (it may have died with the old connection; moving to an
        absolute position twice is harmless).

        Raises:
            DeviceTimeoutError: Not there within ``move_timeout_s``.
        """
        argument = go_argument(position, self.two_position)
        request = build_command(Command.GO, argument, self.device_id)
        self.link.send(request, label=f"GO{argument}", key=key)
        connections = self.link.connections
        deadline = time.monotonic() + self.move_timeout_s
        while (now := self.position()) != position:
            if self.link.connections != connections:  # the line dropped: GO may be lost
                connections = self.link.connections
                self.link.send(request, label=f"GO{argument} (after a reconnect)", key=key)
                continue
            if time.monotonic() >= deadline:
                raise DeviceTimeoutError(
                    self.name,
                    f"did not reach position {position} within {self.move_timeout_s:g} s "
                    f"(it is at {now})",
                )
            self._sleep(self.poll_interval_s)

    def _setting(self, command: Command) -> int:
        return self.link.exchange(
            build_command(command, device_id=self.device_id),
            terminated_by(CR),
            lambda line: self._decode(
                lambda raw, device_id: parse_setting(raw, command, device_id), line, command
            ),
            label=command.value,
            key="",
            idempotent=True,
        )

    def _decode(self, parse: Callable[[bytes, int | None], int], line: bytes, label: str) -> int:
        try:
            return parse(line, self.device_id)
        except ValueError as exc:
            raise DeviceProtocolError(self.name, f"unexpected answer to {label}: {exc}") from exc


class ViciSettings(SerialSettings):
    """A VICI actuator's entry in a lab file: its line and, on a shared line, its device id."""

    address: int | None = Field(
        default=None, description="its device id, 0-9, if it has one (several on one line)"
    )

    @field_validator("address")
    @classmethod
    def _address(cls, address: int | None) -> int | None:
        problem = address_problem(address, 0, 9)
        if problem:
            raise ValueError(problem)
        return address
