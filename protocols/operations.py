"""Device operations: what a protocol compiles to, run one after another by the lab's executor.

A protocol's steps say *what* to do; operations say what each device is sent,
under which idempotency key. A single experiment's protocol compiles step for
step (operation ``n`` is step ``n`` under the key ``<run key>/<n>``); a plate
compiles into whole robot programs, incubations and reads
(:mod:`protocols.plate_compile`). Operations are grouped into phases, the units
a person is told about (``1. pipette plate ...``); every operation of a phase
runs before the next phase begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from protocols.protocol import Protocol
from protocols.steps import Step

RuntimeValue = bool | int | float | str


class RobotRun(BaseModel):
    """One whole robot program with the runtime parameters of one run (the unit of a robot).

    ``runtime_files`` maps a CSV runtime parameter to ``(file name, CSV text)``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["robot_run"] = "robot_run"
    device: str
    filename: str
    robot_type: str
    text: str = Field(repr=False)
    runtime_values: dict[str, RuntimeValue] = {}
    runtime_files: dict[str, tuple[str, str]] = {}

    def summary(self) -> str:
        """Return e.g. ``robot_run: plate-1.py on ot2``."""
        return f"robot_run: {self.filename} on {self.device}"


OperationStep = Step | RobotRun
"""What one operation sends: a protocol step as it stands, or a compiled robot program."""


@dataclass(frozen=True)
class Operation:
    """One command to one device (or a wait), under its idempotency key.

    Attributes:
        step: What to do.
        key: The idempotency key the device command carries.
        number: The protocol step it came from (1-based), or ``None`` for a
            robot program compiled from several steps.
    """

    step: OperationStep
    key: str
    number: int | None = None

    @property
    def kind(self) -> str:
        """The step kind the executor dispatches on."""
        return self.step.kind


@dataclass(frozen=True)
class Phase:
    """Operations announced together: ``summary`` is told before the first of them runs."""

    summary: str
    operations: tuple[Operation, ...]


def protocol_phases(protocol: Protocol, run_key: str) -> tuple[Phase, ...]:
    """A single experiment's protocol as operations: each step its own phase, key ``run/n``."""
    return tuple(
        Phase(step.summary(), (Operation(step, f"{run_key}/{number}", number),))
        for number, step in enumerate(protocol.steps, start=1)
    )


def operation_kinds(phases: tuple[Phase, ...]) -> set[str]:
    """Every step kind the phases send."""
    return {op.kind for phase in phases for op in phase.operations}
