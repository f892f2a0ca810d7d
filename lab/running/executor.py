"""The one executor: runs operations on devices through a registry of handlers, one per kind.

Every step kind maps to exactly one handler; a kind with no handler is an
error raised before anything runs, never a silent skip. A single experiment's
protocol runs step for step (:func:`protocols.operations.protocol_phases`:
device keys ``<run key>/<step number>``); a plate runs the operations its
compiler produced (:func:`protocols.plate_compile.compile_plate`: whole robot
programs, incubations, reads). Transfers and mixes reach the robot inside the
compiled robot program (kind ``robot_run``), the unit a liquid handler runs;
on their own they are refused like any kind without a handler.

:data:`EXECUTOR` holds the built-in handlers; :class:`StepRegistry` builds
others (a test registers nothing and sees every kind refused).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from drivers.analyzer import Analyzer
from drivers.clock import Clock
from drivers.heater import Heater
from drivers.incubator import Incubator
from drivers.liquid_handler import LiquidHandler, RobotProgram
from drivers.plate_reader import PlateReader
from drivers.pump import Pump
from drivers.station import Station
from drivers.valve import Valve
from lab.devices.assembly import DeviceSet
from protocols.operations import Operation, Phase, RobotRun, operation_kinds, protocol_phases
from protocols.protocol import Protocol
from protocols.steps import (
    Incubate,
    Measure,
    ReadPlate,
    RunConditions,
    RunRobotProgram,
    SetFlowRate,
    SetTemperature,
    SwitchValve,
    Wait,
    WaitSteadyState,
)


class ExecutionError(Exception):
    """A protocol could not be executed for a reason other than a device error."""


@dataclass(frozen=True)
class StepContext:
    """What a step handler may use."""

    devices: DeviceSet
    clock: Clock
    key: str


StepOutput = Mapping[str, Any] | None
"""What a handler returns: ``{quantity: value}``, a plate read's ``{well: {...}}``, or None."""
Handler = Callable[[Any, StepContext], StepOutput]
OnStep = Callable[[int, str], None]
"""Called with (phase number, summary) before each phase."""


class StepRegistry:
    """Step kind → handler; refuses a second handler for a kind and runs only known kinds."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def handles(self, kind: str) -> Callable[[Handler], Handler]:
        """Decorator: register the handler of one step kind.

        Raises:
            ValueError: Another handler already handles ``kind``.
        """

        def decorate(handler: Handler) -> Handler:
            existing = self._handlers.get(kind)
            if existing is not None and existing is not handler:
                raise ValueError(
                    f"step kind {kind!r} already has a handler ({existing.__module__}."
                    f"{existing.__qualname__}); register {handler.__qualname__} under another kind"
                )
            self._handlers[kind] = handler
            return handler

        return decorate

    def kinds(self) -> list[str]:
        """The step kinds this registry can run."""
        return sorted(self._handlers)

    def check(self, kinds: Iterable[str]) -> None:
        """Refuse kinds without a handler, naming them and what can run.

        Raises:
            ExecutionError: Some kind has no handler.
        """
        missing = sorted(set(kinds) - set(self._handlers))
        if missing:
            runs = ", ".join(self.kinds()) or "nothing (no handler is registered)"
            raise ExecutionError(
                f"no handler for step kind(s) {', '.join(missing)}; the executor runs: {runs}"
            )

    def run(
        self,
        phases: tuple[Phase, ...],
        devices: DeviceSet,
        clock: Clock,
        on_step: OnStep | None = None,
    ) -> list[tuple[Operation, Mapping[str, Any]]]:
        """Run every operation in order; return what each that produced output produced.

        Raises:
            ExecutionError: A kind has no handler (checked before anything runs).
            DeviceError: A device failed; operations after it do not run.
        """
        self.check(operation_kinds(phases))
        outputs: list[tuple[Operation, Mapping[str, Any]]] = []
        for number, phase in enumerate(phases, start=1):
            if on_step is not None:
                on_step(number, phase.summary)
            for op in phase.operations:
                result = self._handlers[op.kind](op.step, StepContext(devices, clock, op.key))
                if result:
                    outputs.append((op, result))
        return outputs


EXECUTOR = StepRegistry()
"""The executor with every built-in handler."""
handles = EXECUTOR.handles


def handled_kinds() -> list[str]:
    """Return the step kinds the executor can run."""
    return EXECUTOR.kinds()


def execute(
    protocol: Protocol,
    devices: DeviceSet,
    clock: Clock,
    run_key: str,
    on_step: OnStep | None = None,
    registry: StepRegistry = EXECUTOR,
) -> dict[str, float]:
    """Run every step of a single experiment's protocol and return the merged measurements.

    Args:
        protocol: The protocol to run (already validated).
        devices: The lab's connected devices.
        clock: Time source for waits.
        run_key: Unique key of this run; step keys are ``run_key/<n>``.
        on_step: Called with (step number, summary) before each step.
        registry: The handlers (the built-in executor by default).

    Raises:
        ExecutionError: A step kind has no handler (checked before anything runs).
        DeviceError: A device failed; steps after it do not run.
    """
    measurements: dict[str, float] = {}
    for _, values in registry.run(protocol_phases(protocol, run_key), devices, clock, on_step):
        measurements.update(values)
    return measurements


@handles("set_temperature")
def _set_temperature(step: SetTemperature, ctx: StepContext) -> None:
    heater = ctx.devices.get(step.device, Heater)
    heater.set_temperature(step.temperature_c, ctx.key)
    if step.wait_until_stable:
        heater.wait_until_stable(step.tolerance_c, step.timeout_s)


@handles("set_flow_rate")
def _set_flow_rate(step: SetFlowRate, ctx: StepContext) -> None:
    ctx.devices.get(step.device, Pump).set_flow_rate(step.flow_rate_ml_min, ctx.key)


@handles("switch_valve")
def _switch_valve(step: SwitchValve, ctx: StepContext) -> None:
    ctx.devices.get(step.device, Valve).switch(step.position, ctx.key)


@handles("wait")
def _wait(step: Wait, ctx: StepContext) -> None:
    ctx.clock.sleep(step.seconds)


@handles("wait_steady_state")
def _wait_steady_state(step: WaitSteadyState, ctx: StepContext) -> None:
    ctx.clock.sleep(step.seconds)


@handles("measure")
def _measure(step: Measure, ctx: StepContext) -> Mapping[str, float]:
    return ctx.devices.get(step.device, Analyzer).measure(step.label, ctx.key)


@handles("run_conditions")
def _run_conditions(step: RunConditions, ctx: StepContext) -> Mapping[str, float]:
    return ctx.devices.get(step.device, Station).run(step.conditions, ctx.key)


@handles("robot_run")
def _robot_run(step: RobotRun, ctx: StepContext) -> None:
    files = {name: (file, text.encode()) for name, (file, text) in step.runtime_files.items()}
    program = RobotProgram(
        filename=step.filename,
        text=step.text,
        robot_type=step.robot_type,
        runtime_values=dict(step.runtime_values),
        runtime_files=files,
    )
    ctx.devices.get(step.device, LiquidHandler).run(program, ctx.key)


@handles("run_robot_program")
def _run_robot_program(step: RunRobotProgram, ctx: StepContext) -> None:
    program = RobotProgram(filename=step.filename, text=step.text, robot_type=step.robot_type)
    ctx.devices.get(step.device, LiquidHandler).run(program, ctx.key)


@handles("incubate")
def _incubate(step: Incubate, ctx: StepContext) -> None:
    incubator = ctx.devices.get(step.device, Incubator)
    incubator.incubate(step.labware, step.temperature_c, step.duration_h, step.shaking_rpm, ctx.key)


@handles("read_plate")
def _read_plate(step: ReadPlate, ctx: StepContext) -> Mapping[str, Mapping[str, float]]:
    return ctx.devices.get(step.device, PlateReader).read_plate(step.labware, step.wells, ctx.key)
