"""A New Era NE-1000 syringe pump at the wire: Basic-mode RS-232 commands in, framed replies out.

The emulator keeps the pump's settings (diameter, rate, volume to dispense,
direction), its state (stopped, infusing, withdrawing), the dispensed volumes
integrated over the clock, and one pending alarm. It speaks to a
:class:`~drivers.pump.PumpBackend` (for example a pump of the simulated flow
reactor), so running the emulated pump makes liquid flow in the simulated
world. Limits: rates outside what the pump pushes through the syringe
(:func:`drivers.new_era.rate_range_ml_min`) answer ``?OOR``; changing the diameter or the
direction while pumping answers ``?NA``. A volume to dispense of 0 pumps
until stopped; a positive one stops the pump, at the next command, once it
was delivered.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

from drivers.clock import Clock, SystemClock
from drivers.new_era import (
    ETX,
    STX,
    Command,
    Prompt,
    RateUnit,
    format_number,
    rate_range_ml_min,
)
from drivers.pump import PumpBackend

MIN_DIAMETER_MM, MAX_DIAMETER_MM = 0.1, 50.0


class NE1000Emulator:
    """One NE-1000 on the line (see the module docstring).

    Command handlers return the reply data: ``""`` for a set command that
    worked, the answer to a query, or ``?`` and an error code.

    Attributes:
        alarm: Alarm type to report in the next reply (e.g. ``"S"`` stalled), or None.
        commands: Every command received (address stripped), for tests.
    """

    terminator = b"\r"

    def __init__(
        self,
        address: int = 0,
        pump: PumpBackend | None = None,
        clock: Clock | None = None,
        lock: threading.RLock | None = None,
        name: str = "pump",
        firmware: str = "NE1000V3.928",
    ) -> None:
        self.address = address
        self.pump = pump
        self.clock = clock or SystemClock()
        self.lock = lock or threading.RLock()
        self.name = name
        self.firmware = firmware
        self.diameter_mm = 26.59
        self.rate = (1.0, RateUnit.ML_MIN)
        self.volume_ml = 0.0
        self.direction = "INF"
        self.prompt = Prompt.STOPPED
        self.infused_ml = 0.0
        self.withdrawn_ml = 0.0
        self.alarm: str | None = None
        self.commands: list[str] = []
        self._run_started_ml = 0.0
        self._last_s = self.clock.now_s()
        self._changes = 0
        self._handlers: dict[str, Callable[[str], str]] = {
            Command.DIAMETER: self._diameter,
            Command.RATE: self._rate,
            Command.VOLUME: self._volume,
            Command.DIRECTION: self._direction,
            Command.RUN: self._run,
            Command.STOP: self._stop,
            Command.DISPENSED: self._dispensed,
            Command.CLEAR_DISPENSED: self._clear,
            Command.VERSION: lambda argument: "?" if argument else self.firmware,
        }

    def stall(self) -> None:
        """Stall the motor: the pump stops and its next reply is the alarm ``A?S``."""
        with self.lock:
            self._advance()
            self.prompt = Prompt.STOPPED
            self._apply_flow()
            self.alarm = "S"

    # ------------------------------------------------------------------ wire
    def respond(self, command: bytes) -> bytes | None:
        """Answer one command; None if it is addressed to another pump."""
        text = "".join(ch for ch in command.decode("ascii", "replace") if ch.isprintable())
        text = text.replace(" ", "").upper()
        digits = len(text) - len(text.lstrip("0123456789"))
        if digits and int(text[:digits]) != self.address:
            return None
        body = text[digits:]
        with self.lock:
            self.commands.append(body)
            self._advance()
            return self._reply(body)

    def _reply(self, body: str) -> bytes:
        if self.alarm is not None:
            alarm, self.alarm = self.alarm, None
            return self._frame(f"A?{alarm}")
        handler = self._handlers.get(body[:3])
        data = "" if not body else handler(body[3:]) if handler else "?"
        return self._frame(self.prompt.value + data)

    def _frame(self, status_and_data: str) -> bytes:
        return STX + f"{self.address:02d}{status_and_data}".encode("ascii") + ETX

    # -------------------------------------------------------------- commands
    def _diameter(self, argument: str) -> str:
        if not argument:
            return format_number(self.diameter_mm)
        value = _number(argument)
        if self.prompt is not Prompt.STOPPED:
            return "?NA"
        if value is None or not MIN_DIAMETER_MM <= value <= MAX_DIAMETER_MM:
            return "?OOR"
        self.diameter_mm = value
        return ""

    def _rate(self, argument: str) -> str:
        if not argument:
            return format_number(self.rate[0]) + self.rate[1].value
        units = {u.value for u in RateUnit}
        unit = RateUnit(argument[-2:]) if argument[-2:] in units else self.rate[1]
        value = _number(argument[:-2] if argument[-2:] in units else argument)
        if value is None:
            return "?OOR"
        if not self._rate_in_range(value * unit.ml_min):
            return "?OOR"
        self.rate = (value, unit)
        self._apply_flow()
        return ""

    def _volume(self, argument: str) -> str:
        if not argument:
            return format_number(self.volume_ml) + "ML"
        if argument in ("ML", "UL"):
            return ""
        value = _number(argument)
        if value is None:
            return "?OOR"
        self.volume_ml = value
        return ""

    def _direction(self, argument: str) -> str:
        if not argument:
            return self.direction
        if argument not in ("INF", "WDR", "REV"):
            return "?OOR"
        if self.prompt is not Prompt.STOPPED:
            return "?NA"
        reverse = {"INF": "WDR", "WDR": "INF"}
        self.direction = reverse[self.direction] if argument == "REV" else argument
        return ""

    def _run(self, argument: str) -> str:
        if argument:
            return "?NA"  # pumping programs (phases) are not emulated
        if self.prompt is Prompt.STOPPED:
            self.prompt = Prompt.INFUSING if self.direction == "INF" else Prompt.WITHDRAWING
            self._run_started_ml = self.infused_ml + self.withdrawn_ml
            self._apply_flow()
        return ""

    def _stop(self, argument: str) -> str:
        if argument:
            return "?"
        self.prompt = Prompt.STOPPED
        self._apply_flow()
        return ""

    def _dispensed(self, argument: str) -> str:
        if argument:
            return "?"
        volumes = (self.infused_ml, self.withdrawn_ml)
        infused, withdrawn = (format_number(min(v, 9999.0)) for v in volumes)
        return f"I{infused}W{withdrawn}ML"

    def _clear(self, argument: str) -> str:
        if argument == "INF":
            self.infused_ml = 0.0
        elif argument == "WDR":
            self.withdrawn_ml = 0.0
        else:
            return "?"
        return ""

    # ------------------------------------------------------------- mechanics
    def _rate_in_range(self, rate_ml_min: float) -> bool:
        low, high = rate_range_ml_min(self.diameter_mm)
        return low <= rate_ml_min <= high

    def rate_ml_min(self) -> float:
        """The rate the pump delivers now (0 unless pumping)."""
        if self.prompt not in (Prompt.INFUSING, Prompt.WITHDRAWING):
            return 0.0
        return self.rate[0] * self.rate[1].ml_min

    def _advance(self) -> None:
        """Integrate the dispensed volume up to now; stop if the target volume was delivered."""
        now = self.clock.now_s()
        delivered = self.rate_ml_min() * (now - self._last_s) / 60.0
        self._last_s = now
        if self.prompt is Prompt.INFUSING:
            self.infused_ml += delivered
        elif self.prompt is Prompt.WITHDRAWING:
            self.withdrawn_ml += delivered
        moved = self.infused_ml + self.withdrawn_ml - self._run_started_ml
        if self.volume_ml > 0 and self.rate_ml_min() > 0 and moved >= self.volume_ml:
            self.prompt = Prompt.STOPPED
            self._apply_flow()

    def _apply_flow(self) -> None:
        if self.pump is None:
            return
        self._changes += 1
        flow = self.rate_ml_min() if self.prompt is Prompt.INFUSING else 0.0
        self.pump.set_flow_rate(flow, key=f"{self.name}:wire:{self._changes}")


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None
