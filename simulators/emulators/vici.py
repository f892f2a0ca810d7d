"""A VICI universal electric actuator at the wire: serial commands in, CR-terminated answers out.

Emulated: ``CP`` (``CPnn``, or ``CPA``/``CPB`` in the two-position modes),
``NP`` / ``NPnn``, ``AM`` / ``AMn``, ``GO`` / ``GOnn`` / ``GOA``, ``HM``, ``VR``,
``IFMn`` and the optional ID prefix. A move takes ``move_time_s`` (real
seconds); ``CP`` reports the old position until it is done. The manual does
not document the answers to action commands in response mode ``IFM1`` nor
to malformed commands; this emulator answers a finished move with its
``CP`` answer in ``IFM1`` and anything it does not understand with
``Bad command``. Every finished move is reported to ``on_move`` (the
emulated lab uses it as the HPLC's injection contact).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

MoveListener = Callable[[int], None]


class ViciEmulator:
    """One universal actuator (see the module docstring)."""

    terminator = b"\r"

    def __init__(
        self,
        positions: int = 10,
        mode: int = 3,
        device_id: int | None = None,
        move_time_s: float = 0.05,
        on_move: MoveListener | None = None,
        lock: threading.RLock | None = None,
        firmware: str = "UA_MAIN 1.11 (dbtl emulator)",
    ) -> None:
        self.positions = 2 if mode in (1, 2) else positions
        self.mode = mode
        self.device_id = device_id
        self.move_time_s = move_time_s
        self.on_move = on_move
        self.lock = lock or threading.RLock()
        self.firmware = firmware
        self.response_mode = 1
        self.commands: list[str] = []
        self._position = 1
        self._moving_to: tuple[int, float] | None = None

    def respond(self, command: bytes) -> bytes | None:
        """Answer one command; None if it has no answer or is for another ID."""
        text = command.decode("ascii", "replace").strip().upper()
        if self.device_id is not None:
            if not text.startswith((str(self.device_id), "*")):
                return None
            text = text[1:]
        with self.lock:
            self.commands.append(text)
            self._finish_move()
            answer = self._answer(text)
        return None if answer is None else answer.encode("ascii") + self.terminator

    # -------------------------------------------------------------- commands
    def _answer(self, text: str) -> str | None:
        if text == "CP":
            return self._cp()
        if text == "VR":
            return self.firmware
        if match := re.fullmatch(r"(NP|AM|IFM)(\d*)", text):
            return self._setting(match[1], match[2])
        if match := re.fullmatch(r"GO(\d{1,2}|[AB])?|HM", text):
            return self._go(match[1] if text != "HM" else "1")
        return "Bad command"

    def _cp(self) -> str:
        if self.mode in (1, 2):
            return f"CP{'AB'[self._position - 1]}"
        return f"CP{self._position:02d}"

    def _setting(self, name: str, value: str) -> str | None:
        current = {"NP": self.positions, "AM": self.mode, "IFM": self.response_mode}[name]
        if not value:
            return f"{name}{current:02d}" if name == "NP" else f"{name}{current}"
        number = int(value)
        valid = {
            "NP": self.mode == 3 and 2 <= number <= 40 and number % 2 == 0,
            "AM": number in (1, 2, 3),
            "IFM": number in (0, 1, 2),
        }[name]
        if not valid:
            return "Bad command"
        if name == "NP":
            self.positions = number
        elif name == "AM":
            self.mode, self.positions = number, 2 if number in (1, 2) else self.positions
        else:
            self.response_mode = number
        return None

    def _go(self, argument: str | None) -> str | None:
        target = self._target(argument)
        if target is None:
            return "Bad command"
        self._moving_to = (target, time.monotonic() + self.move_time_s)
        if self.response_mode == 0:
            return None
        time.sleep(self.move_time_s)
        self._finish_move()
        return self._cp()

    def _target(self, argument: str | None) -> int | None:
        if argument is None:
            return self._position % self.positions + 1
        letters = {"A": 1, "B": 2}
        if (argument in letters) != (self.mode in (1, 2)):
            return None
        target = letters.get(argument) or int(argument)
        return target if 1 <= target <= self.positions else None

    def _finish_move(self) -> None:
        if self._moving_to is None or time.monotonic() < self._moving_to[1]:
            return
        self._position, self._moving_to = self._moving_to[0], None
        if self.on_move is not None:
            self.on_move(self._position)

    @property
    def position(self) -> int:
        """The position now (a move in progress counts once it is done)."""
        with self.lock:
            self._finish_move()
            return self._position
