r"""New Era NE-1000 family syringe pumps, RS-232 Basic mode.

Wire format (NE-1000 user manual, "RS-232 Protocol: Basic Mode")::

    to pump:    [address] command [data] CR            e.g. b"0RAT350.0UM\r"
    from pump:  STX address(2 digits) status [data] ETX  e.g. b"\x0200S\x03"

``status`` is a prompt (``I`` infusing, ``W`` withdrawing, ``S`` stopped,
``P`` paused, ``T`` timed pause, ``U`` user wait, ``X`` purging) or an alarm
``A?`` followed by its type. A refused command answers ``?`` plus a code in
the data (``?NA``, ``?OOR``...). Numbers have at most four digits and three
decimals, so the driver chooses the rate unit that keeps most of them.

The driver runs the pump in continuous infusion: ``set_flow_rate`` sends
``DIA``/``VOL 0``/``RAT``/``DIR INF``/``RUN`` from a stopped pump, only ``RAT``
while it infuses (the rate may change while pumping), and ``STP`` for zero.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from pydantic import Field, field_validator

from drivers.base import DeviceIdentity
from drivers.errors import (
    DeviceAlarmError,
    DeviceCommandError,
    DeviceOutOfRangeError,
    DeviceProtocolError,
)
from drivers.pump import PumpBackend
from drivers.settings import DriverLimits, SerialSettings, address_problem
from drivers.transport import MAX_REPLY_BYTES, SerialLink

V = TypeVar("V")

STX, ETX, CR = b"\x02", b"\x03", b"\r"
BAUDRATE = 19200
"""Factory setting of the pumps."""
MAX_ADDRESS = 99
MAX_PLUNGER_SPEED_MM_MIN = 51.0
"""Top pusher speed: the NE-1000's 1699 mL/h through a 26.59 mm (60 mL) syringe."""
MIN_PLUNGER_SPEED_MM_MIN = 7.0e-4
"""Slowest pusher speed: the NE-1000's 0.73 µL/h through a 4.699 mm (1 mL) syringe."""


class Command(StrEnum):
    """NE-1000 Basic-mode command codes."""

    STATUS = ""
    """An empty command: the pump answers with its status only."""
    DIAMETER = "DIA"
    RATE = "RAT"
    VOLUME = "VOL"
    DIRECTION = "DIR"
    RUN = "RUN"
    STOP = "STP"
    DISPENSED = "DIS"
    CLEAR_DISPENSED = "CLD"
    VERSION = "VER"


class Direction(StrEnum):
    """Pumping direction (``DIR``)."""

    INFUSE = "INF"
    WITHDRAW = "WDR"
    REVERSE = "REV"


class RateUnit(StrEnum):
    """Rate units of ``RAT``, in the driver's order of preference."""

    ML_MIN = "MM"
    UL_MIN = "UM"
    ML_H = "MH"
    UL_H = "UH"

    @property
    def ml_min(self) -> float:
        """One of this unit, in mL/min."""
        return _ML_MIN_PER_UNIT[self]


_ML_MIN_PER_UNIT = {
    RateUnit.ML_MIN: 1.0,
    RateUnit.UL_MIN: 1e-3,
    RateUnit.ML_H: 1.0 / 60.0,
    RateUnit.UL_H: 1e-3 / 60.0,
}
_ML_PER_VOLUME_UNIT = {"ML": 1.0, "UL": 1e-3}


class Prompt(StrEnum):
    """Operational state reported in every reply."""

    INFUSING = "I"
    WITHDRAWING = "W"
    STOPPED = "S"
    PAUSED = "P"
    TIMED_PAUSE = "T"
    USER_WAIT = "U"
    PURGING = "X"


ALARMS = {
    "R": "pump was reset (power was interrupted); its settings may be lost",
    "S": "pump motor stalled",
    "T": "safe-mode communications time out",
    "E": "pumping program error",
    "O": "pumping program phase is out of range",
}
ERRORS = {
    "": "command not recognized",
    "NA": "command not currently applicable",
    "OOR": "command data out of range",
    "COM": "invalid communications packet",
    "IGN": "command ignored due to a simultaneous new phase start",
}


@dataclass(frozen=True)
class Reply:
    """One decoded reply.

    Attributes:
        address: Network address of the pump that answered.
        prompt: Its operational state, or None when it reports an alarm.
        alarm: Alarm type (a key of :data:`ALARMS`), or None.
        error: Error code (a key of :data:`ERRORS`) if the command was refused, or None.
        data: Whatever follows the status (query answers).
    """

    address: int
    prompt: Prompt | None
    alarm: str | None = None
    error: str | None = None
    data: str = ""


# ---------------------------------------------------------------- pure functions
def rate_range_ml_min(syringe_diameter_mm: float) -> tuple[float, float]:
    """The slowest and fastest rate an NE-1000 pushes through a syringe of this diameter."""
    area_mm2 = math.pi * (syringe_diameter_mm / 2.0) ** 2
    return (
        area_mm2 * MIN_PLUNGER_SPEED_MM_MIN / 1000.0,
        area_mm2 * MAX_PLUNGER_SPEED_MM_MIN / 1000.0,
    )


def build_command(command: Command, argument: str = "", address: int | None = None) -> bytes:
    """Return the bytes of one command, e.g. ``build_command(Command.RATE, "350.0UM", 0)``.

    Raises:
        ValueError: The address is outside 0-99.
    """
    if address is not None and not 0 <= address <= MAX_ADDRESS:
        raise ValueError(f"pump address must be 0-{MAX_ADDRESS}, got {address}")
    prefix = "" if address is None else str(address)
    return f"{prefix}{command.value}{argument}".encode("ascii") + CR


def reply_length(buffer: bytes) -> int:
    """Frame rule: length of the reply once its ETX arrived, else 0.

    Raises:
        ValueError: The bytes do not start with STX.
    """
    if not buffer.startswith(STX):
        raise ValueError("a reply starts with STX (0x02)")
    end = buffer.find(ETX)
    return end + 1 if end >= 0 else 0


_REPLY = re.compile(
    r"^(?P<address>\d{2})(?:A\?(?P<alarm>[A-Z])|(?P<prompt>[IWSPTUX]))(?P<data>.*)$"
)


def parse_reply(frame: bytes) -> Reply:
    """Decode one framed reply.

    Raises:
        ValueError: The frame is not a well-formed Basic-mode reply.
    """
    if len(frame) > MAX_REPLY_BYTES or not (frame.startswith(STX) and frame.endswith(ETX)):
        raise ValueError("a reply is STX ... ETX")
    try:
        text = frame[1:-1].decode("ascii")
    except UnicodeDecodeError as exc:
        raise ValueError("reply is not ASCII") from exc
    match = _REPLY.match(text)
    if match is None:
        raise ValueError("expected a two-digit address and a status")
    data = match["data"]
    error = data[1:] if data.startswith("?") else None
    return Reply(
        address=int(match["address"]),
        prompt=Prompt(match["prompt"]) if match["prompt"] else None,
        alarm=match["alarm"],
        error=error,
        data="" if error is not None else data,
    )


def format_number(value: float) -> str:
    """Format a number the pump accepts: at most 4 digits and 3 decimals.

    Raises:
        ValueError: Negative, or too large for four digits.
    """
    if not 0.0 <= value < 9999.5:
        raise ValueError(f"{value:g} cannot be written with four digits")
    for decimals in (3, 2, 1, 0):
        text = f"{value:.{decimals}f}"
        if len(text.replace(".", "")) <= 4:
            return text
    raise AssertionError("unreachable")  # pragma: no cover


def rate_argument(flow_rate_ml_min: float) -> tuple[str, RateUnit]:
    """Choose the rate unit that keeps the most significant digits.

    Returns:
        The number as the pump wants it, and its unit.

    Raises:
        ValueError: Not a positive rate the pump can represent.
    """
    if flow_rate_ml_min <= 0:
        raise ValueError(f"rate must be > 0 mL/min, got {flow_rate_ml_min:g}")
    best: tuple[int, str, RateUnit] | None = None
    for unit in RateUnit:
        value = flow_rate_ml_min / unit.ml_min
        if value >= 9999.5:
            continue
        text = format_number(value)
        digits = len(text.replace(".", "").lstrip("0"))
        if best is None or digits > best[0]:
            best = (digits, text, unit)
    if best is None or best[0] == 0:
        raise ValueError(f"rate {flow_rate_ml_min:g} mL/min cannot be represented")
    return best[1], best[2]


_NUMBER = r"(\d*\.?\d+)"


def parse_rate(data: str) -> float:
    """Decode a ``RAT`` query answer (``350.0UM``) to mL/min.

    Raises:
        ValueError: Not a rate.
    """
    match = re.fullmatch(_NUMBER + r"(UM|MM|UH|MH)", data)
    if match is None:
        raise ValueError(f"not a rate: {data!r}")
    return float(match[1]) * RateUnit(match[2]).ml_min


def parse_dispensed(data: str) -> tuple[float, float]:
    """Decode a ``DIS`` answer (``I1.250W0.000ML``) to (infused, withdrawn) mL.

    Raises:
        ValueError: Not a dispensed-volume answer.
    """
    match = re.fullmatch(rf"I{_NUMBER}W{_NUMBER}(UL|ML)", data)
    if match is None:
        raise ValueError(f"not a dispensed volume: {data!r}")
    per_unit = _ML_PER_VOLUME_UNIT[match[3]]
    return float(match[1]) * per_unit, float(match[2]) * per_unit


def parse_version(data: str) -> tuple[str, str]:
    """Split a ``VER`` answer (``NE1000V3.928``) into model and firmware."""
    match = re.fullmatch(r"(NE\w*?)V(\d[\w.]*)", data)
    return (match[1], match[2]) if match else (data, "")


# ---------------------------------------------------------------------- backend
class NewEraPumpBackend(PumpBackend):
    """Continuous infusion on one NE-1000 family pump."""

    def __init__(
        self, name: str, link: SerialLink, address: int, syringe_diameter_mm: float
    ) -> None:
        """Bind a pump.

        Args:
            name: Device name, for errors.
            link: The pump's (unopened) serial link.
            address: Network address set on the pump (0-99).
            syringe_diameter_mm: Inside diameter of the syringe.

        Raises:
            ValueError: An address or diameter the pump cannot take.
        """
        build_command(Command.STATUS, address=address)  # checks the address
        format_number(syringe_diameter_mm)
        self.name = name
        self.link = link
        self.address = address
        self.syringe_diameter_mm = syringe_diameter_mm

    def connect(self) -> None:
        """Open the port and check the pump answers at its address."""
        self.link.open()
        self.status()

    def disconnect(self) -> None:
        """Close the port."""
        self.link.close()

    def identify(self) -> DeviceIdentity:
        """Ask the pump its model and firmware (``VER``) and syringe diameter."""
        model, firmware = parse_version(self._query(Command.VERSION).data)
        diameter = self._query(Command.DIAMETER).data
        return DeviceIdentity(
            model=model,
            firmware=firmware,
            details={"address": str(self.address), "syringe_diameter_mm": diameter},
        )

    def status(self) -> Prompt | None:
        """Return the pump's operational state."""
        return self._query(Command.STATUS).prompt

    def set_flow_rate(self, flow_rate_ml_min: float, key: str) -> None:
        """Infuse continuously at ``flow_rate_ml_min``; 0 stops the pump."""
        if flow_rate_ml_min == 0:
            self._command(Command.STOP, "", key)
            return
        value, unit = rate_argument(flow_rate_ml_min)
        state = self.status()
        if state is Prompt.INFUSING:
            self._command(Command.RATE, value + unit, key)
            return
        if state is not Prompt.STOPPED:
            self._command(Command.STOP, "", key)
        self._command(Command.DIAMETER, format_number(self.syringe_diameter_mm), key)
        self._command(Command.VOLUME, "0", key)
        self._command(Command.RATE, value + unit, key)
        self._command(Command.DIRECTION, Direction.INFUSE.value, key)
        self._command(Command.RUN, "", key)

    def flow_rate_ml_min(self) -> float:
        """Return the delivered rate: the set rate while infusing, negative withdrawing, else 0."""
        reply = self._query(Command.RATE)
        rate = self._decode(parse_rate, reply.data, "RAT")
        if reply.prompt is Prompt.INFUSING:
            return rate
        return -rate if reply.prompt is Prompt.WITHDRAWING else 0.0

    def dispensed_ml(self) -> tuple[float, float]:
        """Return the volumes (infused, withdrawn) since they were last cleared."""
        return self._decode(parse_dispensed, self._query(Command.DISPENSED).data, "DIS")

    # ------------------------------------------------------------- internals
    def _query(self, command: Command) -> Reply:
        return self._send(command, "", key="", idempotent=True)

    def _command(self, command: Command, argument: str, key: str) -> Reply:
        return self._send(command, argument, key=key, idempotent=False)

    def _send(self, command: Command, argument: str, *, key: str, idempotent: bool) -> Reply:
        label = f"{command.value} {argument}".strip() or "status query"
        request = build_command(command, argument, self.address)
        return self.link.exchange(
            request,
            reply_length,
            lambda frame: self._check(frame, label),
            label=label,
            key=key,
            idempotent=idempotent,
        )

    def _check(self, frame: bytes, label: str) -> Reply:
        try:
            reply = parse_reply(frame)
        except ValueError as exc:
            raise DeviceProtocolError(
                self.name, f"garbled reply to {label}: {frame!r} ({exc})"
            ) from exc
        if reply.address != self.address:
            raise DeviceProtocolError(
                self.name, f"reply to {label} came from address {reply.address}, not {self.address}"
            )
        if reply.alarm is not None:
            meaning = ALARMS.get(reply.alarm, "unknown alarm")
            raise DeviceAlarmError(self.name, reply.alarm, meaning)
        if reply.error is not None:
            meaning = ERRORS.get(reply.error, "unknown error")
            error = DeviceOutOfRangeError if reply.error == "OOR" else DeviceCommandError
            raise error(self.name, label, f"?{reply.error}", meaning)
        return reply

    def _decode(self, parse: Callable[[str], V], data: str, label: str) -> V:
        try:
            return parse(data)
        except ValueError as exc:
            raise DeviceProtocolError(self.name, f"unexpected answer to {label}: {exc}") from exc


class NewEraSettings(SerialSettings):
    """A New Era pump's entry in a lab file: its line, its address and the syringe mounted."""

    address: int = Field(description="its network address, 0-99 (0 unless changed on the pump)")
    syringe_diameter_mm: float = Field(gt=0, description="the syringe's inside diameter, mm")

    @field_validator("address")
    @classmethod
    def _address(cls, address: int) -> int:
        problem = address_problem(address, 0, MAX_ADDRESS)
        if problem:
            raise ValueError(problem)
        return address

    def limits(self) -> DriverLimits:
        """The fastest rate the pump pushes through its syringe."""
        return DriverLimits(max_flow_rate_ml_min=rate_range_ml_min(self.syringe_diameter_mm)[1])
