"""Run one HTE plate on a lab's devices: compile, pipette, read, map wells back to experiments.

This is the piece the campaign loop calls once per batch::

    plan = builder.build_plate(designs, name)          # protocols: pure data
    check_protocol(plan.protocol, lab.limits())        # static validation
    readings = run_plate(plan.protocol, lab, devices, key)
    measured = builder.plate_measurements(plan.protocol, readings)

A plate is physical: after a crash, a plate whose robot run the liquid handler
remembers may be read again (:func:`read_plate`); it is never pipetted again.

A plate protocol may also carry whole robot programs (``run_robot_program``,
e.g. a Golden Gate batch with its thermocycler module) and incubations
(``incubate``); they run after the pipetting, in order, each device command
keyed from the plate's key. When a protocol reads several plates, readings
are keyed ``<labware>/<well>``.
"""

from __future__ import annotations

from drivers.incubator import Incubator
from drivers.liquid_handler import LiquidHandler, RobotProgram
from drivers.plate_reader import PlateReader
from lab.devices import DeviceSet
from lab.labspec import LabSpec
from protocols.opentrons import RETURN_TIPS_PARAMETER, TRANSFERS_PARAMETER, compile_opentrons
from protocols.protocol import Protocol
from protocols.steps import Incubate, Mix, ReadPlate, RunRobotProgram, Transfer


def plate_program(protocol: Protocol, lab: LabSpec, device: str) -> RobotProgram:
    """Compile the liquid steps of ``device`` into the robot program of one run.

    The transfer table is passed as the CSV runtime parameter as well as
    compiled in, so the robot's run log shows exactly which table it used.

    Raises:
        ProtocolError: No liquid step for the device, or a limit is broken.
    """
    for step in protocol.steps:
        if isinstance(step, RunRobotProgram) and step.device == device:
            return RobotProgram(filename=step.filename, text=step.text, robot_type=step.robot_type)
    deck = lab.device(device).deck
    assert deck is not None  # liquid handlers always have a deck (DeviceSpec)
    compiled = compile_opentrons(protocol, deck, device)
    return RobotProgram(
        filename=compiled.filename,
        text=compiled.text,
        robot_type=compiled.robot_type,
        runtime_values={RETURN_TIPS_PARAMETER: False},
        runtime_files={TRANSFERS_PARAMETER: ("transfers.csv", compiled.transfers_csv.encode())},
    )


def run_plate(
    protocol: Protocol, lab: LabSpec, devices: DeviceSet, key: str
) -> dict[str, dict[str, float]]:
    """Pipette the plate, then read it; return ``{well: {quantity: value}}``.

    Args:
        protocol: A plate protocol (validated).
        lab: The lab file, for the liquid handler's deck.
        devices: The lab's connected devices.
        key: Idempotency key of this plate; device keys derive from it.

    Raises:
        ProtocolError: The protocol cannot be compiled for the deck.
        DeviceError: The robot run or the read failed.
    """
    dispense_plate(protocol, lab, devices, key)
    incubate_plate(protocol, devices, key)
    return read_plate(protocol, devices, key)


def plate_handlers(protocol: Protocol) -> list[str]:
    """The liquid handlers that pipette a plate protocol (or run a whole program for it)."""
    steps = (Transfer, Mix, RunRobotProgram)
    return sorted({s.device for s in protocol.steps if isinstance(s, steps)})


def plate_incubators(protocol: Protocol) -> list[str]:
    """The incubators a plate protocol uses, in order of first use."""
    return list(dict.fromkeys(s.device for s in protocol.steps if isinstance(s, Incubate)))


def incubation_key(key: str, step: Incubate) -> str:
    """The idempotency key of an incubation of the plate ``key``."""
    return f"{key}/{step.device}"


def incubate_plate(protocol: Protocol, devices: DeviceSet, key: str) -> None:
    """Run the plate's incubations in order (a key already incubated is not incubated again).

    Raises:
        DeviceError: An incubation failed or is outside the incubator's range.
    """
    for step in protocol.steps:
        if isinstance(step, Incubate):
            devices.get(step.device, Incubator).incubate(
                step.labware,
                step.temperature_c,
                step.duration_h,
                step.shaking_rpm,
                incubation_key(key, step),
            )


def read_key(protocol: Protocol, key: str, step: ReadPlate) -> str:
    """The idempotency key of one read of the plate ``key`` (by labware when several are read)."""
    several = reading_key(protocol, step.labware, "") != ""
    return f"{key}/{step.device}/{step.labware}" if several else f"{key}/{step.device}"


def reading_key(protocol: Protocol, labware: str, well: str) -> str:
    """How a reading is keyed: the well, or ``<labware>/<well>`` when several plates are read."""
    read = {s.labware for s in protocol.steps if isinstance(s, ReadPlate)}
    return f"{labware}/{well}" if len(read) > 1 else well


def handler_run_key(key: str, handler: str) -> str:
    """The idempotency key of one liquid handler's run of the plate ``key``."""
    return f"{key}/{handler}"


def dispense_plate(protocol: Protocol, lab: LabSpec, devices: DeviceSet, key: str) -> None:
    """Run each liquid handler's program of the plate (a key already run is not run again).

    Raises:
        ProtocolError: The protocol cannot be compiled for the deck.
        DeviceError: A robot run failed.
    """
    for name in plate_handlers(protocol):
        program = plate_program(protocol, lab, name)
        devices.get(name, LiquidHandler).run(program, handler_run_key(key, name))


def read_plate(protocol: Protocol, devices: DeviceSet, key: str) -> dict[str, dict[str, float]]:
    """Read the plate of ``protocol`` as it stands (reading a plate again is harmless).

    Raises:
        DeviceError: A read failed.
    """
    readings: dict[str, dict[str, float]] = {}
    for step in protocol.steps:
        if isinstance(step, ReadPlate):
            reader = devices.get(step.device, PlateReader)
            found = reader.read_plate(step.labware, step.wells, read_key(protocol, key, step))
            readings |= {reading_key(protocol, step.labware, w): v for w, v in found.items()}
    return readings
