"""The plate compiler: a plate protocol becomes robot programs, incubations and reads, keyed."""

from __future__ import annotations

import pytest

from protocols.errors import ProtocolError, ProtocolValidationError
from protocols.hte import build_plate
from protocols.opentrons import RETURN_TIPS_PARAMETER, TRANSFERS_PARAMETER, compile_opentrons
from protocols.operations import RobotRun, operation_kinds, protocol_phases
from protocols.plate_compile import compile_plate, reading_key
from protocols.protocol import Protocol
from protocols.steps import Incubate, ReadPlate, RunRobotProgram, Transfer, Wait, WellRef
from protocols.validation import DeviceLimits
from tests.hte_fixtures import deck, designs, recipe


def limits(robot_type: str = "OT-2") -> dict[str, DeviceLimits]:
    return {
        "lh": DeviceLimits(kind="liquid_handler", deck=deck(robot_type)),
        "reader": DeviceLimits(kind="plate_reader"),
        "shaker": DeviceLimits(kind="incubator", min_temperature_c=20, max_temperature_c=45),
    }


def culture_plate(robot_type: str = "OT-2", text: str = "run = 1\n") -> Protocol:
    """A whole robot program, an incubation of two plates and a read of each."""
    return Protocol(
        name="gg",
        steps=(
            RunRobotProgram(device="lh", filename="gg.py", robot_type=robot_type, text=text),
            Incubate(device="shaker", labware=("od", "fl"), temperature_c=30, duration_h=16),
            ReadPlate(device="reader", labware="od", wells=("A1", "B1")),
            ReadPlate(device="reader", labware="fl", wells=("A1",)),
        ),
    )


def test_an_hte_plate_compiles_to_one_robot_program_and_a_read() -> None:
    plan = build_plate(designs(3), recipe(plate_reader="reader"), deck(), "p")
    compiled = compile_plate(plan.protocol, limits(), "demo/plate-1")
    assert [p.summary for p in compiled.phases] == [
        "pipette plate demo/plate-1 (lh)",
        "read plate demo/plate-1",
    ]
    ((op, run),) = compiled.robot_runs()
    expected = compile_opentrons(plan.protocol, deck(), "lh")
    assert op.key == "demo/plate-1/lh" and op.number is None
    assert (run.filename, run.text, run.robot_type) == (
        expected.filename,
        expected.text,
        expected.robot_type,
    )
    assert run.runtime_values == {RETURN_TIPS_PARAMETER: False}
    assert run.runtime_files == {TRANSFERS_PARAMETER: ("transfers.csv", expected.transfers_csv)}
    (read,) = compiled.phases[1].operations
    assert read.key == "demo/plate-1/reader" and isinstance(read.step, ReadPlate)
    assert read.number == len(plan.protocol.steps)  # the read is the protocol's last step
    assert operation_kinds(compiled.phases) == {"robot_run", "read_plate"}


def test_compiling_is_pure_and_repeatable() -> None:
    plan = build_plate(designs(4), recipe(plate_reader="reader"), deck(), "p")
    before = plan.protocol.digest()
    one = compile_plate(plan.protocol, limits(), "k")
    two = compile_plate(plan.protocol, limits(), "k")
    assert one == two and plan.protocol.digest() == before


def test_a_whole_program_runs_then_incubates_then_reads_each_plate_by_labware() -> None:
    protocol = culture_plate()
    compiled = compile_plate(protocol, limits(), "c/plate-1")
    assert [p.summary for p in compiled.phases] == [
        "pipette plate c/plate-1 (lh)",
        "incubate plate c/plate-1 (shaker)",
        "read plate c/plate-1",
    ]
    program, incubation, reads = compiled.phases
    (run_op,) = program.operations
    assert isinstance(run_op.step, RobotRun) and run_op.step.text == "run = 1\n"
    assert run_op.step.runtime_values == {} and run_op.step.runtime_files == {}
    assert [(o.key, o.number) for o in incubation.operations] == [("c/plate-1/shaker", 2)]
    assert [(o.key, o.number) for o in reads.operations] == [
        ("c/plate-1/reader/od", 3),
        ("c/plate-1/reader/fl", 4),
    ]
    assert reading_key(protocol, "od", "A1") == "od/A1"  # several plates read: by labware


def test_a_program_for_another_robot_is_refused_before_it_runs() -> None:
    with pytest.raises(
        ProtocolError, match=r"gg.py is for robot type Flex, but lh is robot type OT-2"
    ):
        compile_plate(culture_plate(robot_type="Flex"), limits(), "k")
    with pytest.raises(ProtocolError, match=r"robot program gg\.py for lh is empty"):
        compile_plate(culture_plate(text="   \n"), limits(), "k")


def test_a_plate_that_breaks_the_labs_limits_is_refused_naming_the_step() -> None:
    hot = culture_plate().model_copy(
        update={
            "steps": (
                *culture_plate().steps[:1],
                Incubate(device="shaker", labware=("od",), temperature_c=60, duration_h=1),
            )
        }
    )
    with pytest.raises(ProtocolValidationError, match=r"step 2 \(incubate\).*60 °C is outside"):
        compile_plate(hot, limits(), "k")


def test_transfers_for_a_handler_without_a_deck_are_refused_with_the_fix() -> None:
    step = Transfer(
        device="lh",
        source=WellRef(labware="stocks", well="A1"),
        destination=WellRef(labware="plate", well="A1"),
        volume_ul=10,
    )
    protocol = Protocol(name="t", steps=(step,))
    no_deck = {"lh": DeviceLimits(kind="liquid_handler")}
    with pytest.raises(ProtocolValidationError, match="liquid handler lh has no deck"):
        compile_plate(protocol, no_deck, "k")


def test_a_single_protocol_runs_step_for_step_under_its_run_key() -> None:
    protocol = Protocol(name="w", steps=(Wait(seconds=1), Wait(seconds=2, reason="settle")))
    phases = protocol_phases(protocol, "camp/7")
    assert [(p.summary, [(o.key, o.number) for o in p.operations]) for p in phases] == [
        ("wait: seconds=1.0, reason=", [("camp/7/1", 1)]),
        ("wait: seconds=2.0, reason=settle", [("camp/7/2", 2)]),
    ]
