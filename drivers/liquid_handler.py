"""Liquid handlers: run a robot program (one plate) and report what the robot did.

The unit of work is a whole program, as on an Opentrons robot: a protocol
file plus the runtime parameter values and files of one run. The frontend
checks the program fits the robot, refuses a second run while one is going,
turns a failed run into a :class:`DeviceError` and remembers finished runs
by key. Backends translate: the Opentrons HTTP API, or ``opentrons.simulate``.

:func:`liquid_movements` reads the robot's own command log back into
"volume from well to well", so what was pipetted can be checked against what
was planned, whichever backend ran it.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drivers.base import Backend, Device
from drivers.errors import DeviceError, DeviceLimitError

RuntimeValue = float | int | bool | str
TERMINAL_STATUSES = frozenset({"succeeded", "failed", "stopped"})


@dataclass(frozen=True)
class RobotProgram:
    """A protocol file and the runtime parameters of one run.

    Attributes:
        filename: Name of the protocol file (``.py``).
        text: The protocol's source.
        robot_type: ``OT-2`` or ``Flex``.
        runtime_values: Values of primitive runtime parameters, by variable name.
        runtime_files: CSV runtime parameters: variable name → (file name, content).
    """

    filename: str
    text: str
    robot_type: str
    runtime_values: Mapping[str, RuntimeValue] = field(default_factory=dict)
    runtime_files: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass(frozen=True)
class RobotCommand:
    """One command the robot executed, as it reports it."""

    command_type: str
    status: str
    params: Mapping[str, Any]
    result: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class RunReport:
    """How a run ended and every command it executed."""

    run_id: str
    status: str
    commands: tuple[RobotCommand, ...] = ()
    errors: tuple[str, ...] = ()
    labware: Mapping[str, str] = field(default_factory=dict)
    """Labware id → the name it was loaded with (its label on the deck)."""

    @property
    def succeeded(self) -> bool:
        """Whether the run completed without error."""
        return self.status == "succeeded"


@dataclass(frozen=True)
class Movement:
    """Liquid moved by one dispense: from the well last aspirated to the target well."""

    source: tuple[str, str]
    destination: tuple[str, str]
    volume_ul: float


class LiquidHandlerBackend(Backend):
    """Translates program runs to a robot (or a simulation)."""

    @abstractmethod
    def run(self, program: RobotProgram, key: str, timeout_s: float) -> RunReport:
        """Run ``program`` to its end, or pick up the run already started with ``key``.

        Raises:
            DeviceError: The robot cannot be reached or refuses the program.
            DeviceTimeoutError: The run did not end within ``timeout_s`` (it is stopped).
        """

    @abstractmethod
    def recall(self, key: str) -> RunReport | None:
        """Return the run started with ``key``, if the robot knows it."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the run in progress, if any."""


class LiquidHandler(Device):
    """A liquid-handler frontend: one program at a time, failures as errors."""

    kind = "liquid_handler"

    def __init__(
        self, name: str, backend: LiquidHandlerBackend, robot_type: str, run_timeout_s: float
    ) -> None:
        super().__init__(name, backend)
        self.handler_backend = backend
        self.robot_type = robot_type
        self.run_timeout_s = run_timeout_s
        self.running: str | None = None
        self.finished: dict[str, RunReport] = {}

    def run(self, program: RobotProgram, key: str) -> RunReport:
        """Run one program to its end.

        Args:
            program: Protocol file and runtime parameters.
            key: Idempotency key: running the same key again (after a crash)
                follows the run already started instead of starting another.

        Raises:
            DeviceLimitError: The program is for another robot type, or is
                empty; nothing is sent.
            DeviceError: Busy, unreachable, or the run failed or was stopped.
        """
        self._check(program)
        if key in self.finished:
            return self.finished[key]
        if self.running is not None:
            raise DeviceError(self.name, f"busy with run {self.running}")
        self.running = key
        try:
            report = self.handler_backend.run(program, key, self.run_timeout_s)
        finally:
            self.running = None
        if not report.succeeded:
            raise DeviceError(self.name, _failure(report))
        self.finished[key] = report
        return report

    def recall(self, key: str) -> RunReport | None:
        """Return the run started with ``key`` if the robot knows it."""
        return self.finished.get(key) or self.handler_backend.recall(key)

    def safe_state(self) -> None:
        """Stop whatever the robot is running."""
        self.handler_backend.stop()

    def _check(self, program: RobotProgram) -> None:
        if program.robot_type != self.robot_type:
            raise DeviceLimitError(
                self.name,
                f"program {program.filename} is for an {program.robot_type}; "
                f"this is an {self.robot_type}",
            )
        if not program.text.strip():
            raise DeviceLimitError(self.name, f"program {program.filename} is empty")
        bad = [name for name, _ in program.runtime_files.values() if not name.endswith(".csv")]
        if bad:
            raise DeviceLimitError(
                self.name, f"runtime files must be CSV; got {', '.join(sorted(bad))}"
            )


def _failure(report: RunReport) -> str:
    failed = [c for c in report.commands if c.status == "failed"]
    what = f" at {failed[0].command_type}" if failed else ""
    errors = "; ".join(report.errors) or "no error reported"
    return f"run {report.run_id} {report.status}{what}: {errors}"


def liquid_movements(report: RunReport) -> list[Movement]:
    """Read a run's command log back into well-to-well volumes.

    Labware is named by the label it was loaded with (the deck's names).
    Mixing (aspirating and dispensing in one well) moves nothing and is left
    out.
    """
    names = report.labware
    held: dict[str, tuple[str, str]] = {}
    moved: list[Movement] = []
    for command in report.commands:
        if command.status != "succeeded":
            continue
        params = command.params
        if command.command_type in ("aspirate", "dispense"):
            well = (names.get(str(params["labwareId"]), "?"), str(params["wellName"]))
            pipette = str(params.get("pipetteId", ""))
            if command.command_type == "aspirate":
                held[pipette] = well
            elif held.get(pipette) not in (None, well):
                moved.append(Movement(held[pipette], well, float(params["volume"])))
    return moved
