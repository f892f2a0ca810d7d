"""Compile a plate protocol into the operations of one plate run, pre-flighted, before it runs.

A plate runs in three phases, each device command keyed from the plate's key:

1. *pipette*: each liquid handler runs one whole robot program
   (key ``<plate>/<handler>``): the protocol's own ``run_robot_program`` (a
   Golden Gate batch with its thermocycler module), or its transfers and mixes
   compiled to an Opentrons protocol (:func:`protocols.opentrons.compile_opentrons`)
   whose transfer table is also passed as the CSV runtime parameter, so the
   robot's run log shows exactly which table it used;
2. *incubate* (if the protocol incubates): in protocol order (key ``<plate>/<incubator>``);
3. *read*: every ``read_plate`` in protocol order (key ``<plate>/<reader>``, or
   ``<plate>/<reader>/<labware>`` when several plates are read, and the
   readings are then keyed ``<labware>/<well>``).

:func:`compile_plate` checks the protocol against the lab's limits and every
robot program against its robot before returning, so a plate that cannot run
is refused before any of its experiments is marked running. Pure: nothing is
sent anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from protocols.deck import Deck
from protocols.errors import ProtocolError
from protocols.opentrons import RETURN_TIPS_PARAMETER, TRANSFERS_PARAMETER, compile_opentrons
from protocols.operations import Operation, Phase, RobotRun
from protocols.protocol import Protocol
from protocols.steps import Incubate, Mix, ReadPlate, RunRobotProgram, Transfer
from protocols.validation import DeviceLimits, check_protocol

TRANSFERS_FILE = "transfers.csv"
"""File name of the transfer table passed as the robot's CSV runtime parameter."""


@dataclass(frozen=True)
class CompiledPlate:
    """A plate protocol, its key and the phases of operations that run it."""

    protocol: Protocol
    key: str
    phases: tuple[Phase, ...]

    def operations(self) -> list[Operation]:
        """Every operation, in the order they run."""
        return [op for phase in self.phases for op in phase.operations]

    def robot_runs(self) -> list[tuple[Operation, RobotRun]]:
        """The robot programs of the plate (one per liquid handler), in the order they run."""
        return [(op, op.step) for op in self.operations() if isinstance(op.step, RobotRun)]


def plate_handlers(protocol: Protocol) -> list[str]:
    """The liquid handlers that pipette a plate protocol (or run a whole program for it)."""
    steps = (Transfer, Mix, RunRobotProgram)
    return sorted({s.device for s in protocol.steps if isinstance(s, steps)})


def plate_incubators(protocol: Protocol) -> list[str]:
    """The incubators a plate protocol uses, in order of first use."""
    return list(dict.fromkeys(s.device for s in protocol.steps if isinstance(s, Incubate)))


def handler_run_key(key: str, handler: str) -> str:
    """The idempotency key of one liquid handler's run of the plate ``key``."""
    return f"{key}/{handler}"


def incubation_key(key: str, step: Incubate) -> str:
    """The idempotency key of an incubation of the plate ``key``."""
    return f"{key}/{step.device}"


def reading_key(protocol: Protocol, labware: str, well: str) -> str:
    """How a reading is keyed: the well, or ``<labware>/<well>`` when several plates are read."""
    read = {s.labware for s in protocol.steps if isinstance(s, ReadPlate)}
    return f"{labware}/{well}" if len(read) > 1 else well


def read_key(protocol: Protocol, key: str, step: ReadPlate) -> str:
    """The idempotency key of one read of the plate ``key`` (by labware when several are read)."""
    several = reading_key(protocol, step.labware, "") != ""
    return f"{key}/{step.device}/{step.labware}" if several else f"{key}/{step.device}"


def robot_program(protocol: Protocol, device: str, deck: Deck | None) -> RobotRun:
    """The robot program that ``device`` runs for the plate, checked against its robot.

    Raises:
        ProtocolError: The device has no liquid step, no deck to compile its
            transfers for, or the program is empty or for another robot type.
    """
    for step in protocol.steps:
        if isinstance(step, RunRobotProgram) and step.device == device:
            run = RobotRun(
                device=device, filename=step.filename, robot_type=step.robot_type, text=step.text
            )
            _check_program(run, deck)
            return run
    if deck is None:
        raise ProtocolError(
            f"liquid handler {device} has no deck in the lab file, so the transfers of "
            f"{protocol.name!r} cannot be compiled for it; declare its deck"
        )
    compiled = compile_opentrons(protocol, deck, device)
    return RobotRun(
        device=device,
        filename=compiled.filename,
        robot_type=compiled.robot_type,
        text=compiled.text,
        runtime_values={RETURN_TIPS_PARAMETER: False},
        runtime_files={TRANSFERS_PARAMETER: (TRANSFERS_FILE, compiled.transfers_csv)},
    )


def _check_program(run: RobotRun, deck: Deck | None) -> None:
    if not run.text.strip():
        raise ProtocolError(f"robot program {run.filename} for {run.device} is empty")
    if deck is not None and run.robot_type != deck.robot_type:
        raise ProtocolError(
            f"robot program {run.filename} is for robot type {run.robot_type}, but "
            f"{run.device} is robot type {deck.robot_type} (its deck in the lab file); compile "
            f"the program for {deck.robot_type} or run it on another liquid handler"
        )


def read_phase(protocol: Protocol, key: str) -> Phase:
    """The reads of the plate ``key``, in protocol order (reading a plate again is harmless)."""
    reads = tuple(
        Operation(step, read_key(protocol, key, step), number)
        for number, step in enumerate(protocol.steps, start=1)
        if isinstance(step, ReadPlate)
    )
    return Phase(f"read plate {key}", reads)


def incubations(protocol: Protocol, key: str) -> tuple[Operation, ...]:
    """The incubations of the plate ``key``, in protocol order."""
    return tuple(
        Operation(step, incubation_key(key, step), number)
        for number, step in enumerate(protocol.steps, start=1)
        if isinstance(step, Incubate)
    )


def compile_plate(
    protocol: Protocol, limits: Mapping[str, DeviceLimits], key: str
) -> CompiledPlate:
    """Pre-flight a plate protocol and compile it into the operations of its run.

    Args:
        protocol: The plate protocol.
        limits: The lab's device limits (each liquid handler's deck among them).
        key: The plate's idempotency key; every device key derives from it.

    Raises:
        ProtocolValidationError: The protocol breaks a limit of the lab.
        ProtocolError: A robot program cannot be compiled or does not fit its robot.
    """
    check_protocol(protocol, limits)
    handlers = plate_handlers(protocol)
    programs = tuple(
        Operation(robot_program(protocol, name, limits[name].deck), handler_run_key(key, name))
        for name in handlers
    )
    phases = [Phase(f"pipette plate {key} ({', '.join(handlers)})", programs)]
    incubated = incubations(protocol, key)
    if incubated:
        names = ", ".join(plate_incubators(protocol))
        phases.append(Phase(f"incubate plate {key} ({names})", incubated))
    phases.append(read_phase(protocol, key))
    return CompiledPlate(protocol, key, tuple(phases))
