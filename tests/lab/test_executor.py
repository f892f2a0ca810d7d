"""The one executor: every kind through one registry; unknown kinds refused before anything runs."""

from __future__ import annotations

from typing import Any

import pytest

from lab.devices.registry import DeviceSet
from lab.running.executor import (
    EXECUTOR,
    ExecutionError,
    StepContext,
    StepRegistry,
    execute,
    handled_kinds,
)
from protocols.operations import Operation, Phase
from protocols.plate_compile import compile_plate
from protocols.protocol import Protocol
from protocols.steps import Incubate, ReadPlate, RunRobotProgram, Wait
from protocols.validation import DeviceLimits
from simulators.clock import SimulatedClock
from tests.hte_fixtures import deck


def test_an_executor_with_nothing_registered_refuses_every_kind_before_anything_runs() -> None:
    clock = SimulatedClock()
    protocol = Protocol(name="w", steps=(Wait(seconds=5),))
    with pytest.raises(ExecutionError) as refused:
        execute(protocol, DeviceSet(), clock, "run", registry=StepRegistry())
    assert str(refused.value) == (
        "no handler for step kind(s) wait; the executor runs: nothing (no handler is registered)"
    )
    assert clock.now_s() == 0.0  # nothing ran


def test_an_unknown_kind_among_known_ones_stops_the_run_before_its_first_step() -> None:
    ran: list[str] = []
    registry = StepRegistry()
    registry.handles("wait")(lambda step, ctx: ran.append(ctx.key))
    phases = (
        Phase("first", (Operation(Wait(seconds=1), "k/1", 1),)),
        Phase("second", (Operation(ReadPlate(device="r", labware="p", wells=("A1",)), "k/2", 2),)),
    )
    with pytest.raises(ExecutionError, match=r"kind\(s\) read_plate; the executor runs: wait"):
        registry.run(phases, DeviceSet(), SimulatedClock())
    assert ran == []


def test_a_registry_refuses_a_second_handler_for_a_kind() -> None:
    registry = StepRegistry()
    registry.handles("wait")(lambda step, ctx: None)
    with pytest.raises(ValueError, match="step kind 'wait' already has a handler"):
        registry.handles("wait")(lambda step, ctx: None)


def test_every_plate_kind_has_a_built_in_handler() -> None:
    assert {"robot_run", "run_robot_program", "incubate", "read_plate"} <= set(handled_kinds())


def test_a_compiled_plate_runs_phase_by_phase_through_the_registry_with_its_keys() -> None:
    protocol = Protocol(
        name="gg",
        steps=(
            RunRobotProgram(device="lh", filename="gg.py", robot_type="OT-2", text="x = 1\n"),
            Incubate(device="shaker", labware=("od",), temperature_c=30, duration_h=2),
            ReadPlate(device="reader", labware="od", wells=("A1",)),
        ),
    )
    limits = {
        "lh": DeviceLimits(kind="liquid_handler", deck=deck()),
        "shaker": DeviceLimits(kind="incubator"),
        "reader": DeviceLimits(kind="plate_reader"),
    }
    compiled = compile_plate(protocol, limits, "c/plate-1")
    sent: list[tuple[str, str]] = []
    registry = StepRegistry()

    def record(step: Any, ctx: StepContext) -> dict[str, Any] | None:
        sent.append((step.kind, ctx.key))
        return {"A1": {"od600": 0.5}} if step.kind == "read_plate" else None

    for kind in ("robot_run", "incubate", "read_plate"):
        registry.handles(kind)(record)
    announced: list[tuple[int, str]] = []
    outputs = registry.run(
        compiled.phases, DeviceSet(), SimulatedClock(), lambda n, s: announced.append((n, s))
    )
    assert sent == [
        ("robot_run", "c/plate-1/lh"),
        ("incubate", "c/plate-1/shaker"),
        ("read_plate", "c/plate-1/reader"),
    ]
    assert [n for n, _ in announced] == [1, 2, 3]
    assert [(op.key, values) for op, values in outputs] == [
        ("c/plate-1/reader", {"A1": {"od600": 0.5}})
    ]
    assert "robot_run" in EXECUTOR.kinds()
