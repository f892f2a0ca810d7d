"""The one executor: runs a protocol's steps on devices through a registry of handlers.

Each step kind maps to exactly one handler; a kind with no handler is an
error, never a silent skip. Every device command carries an idempotency key
``<run key>/<step number>`` so a backend that remembers keys never repeats one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drivers.analyzer import Analyzer
from drivers.clock import Clock
from drivers.heater import Heater
from drivers.pump import Pump
from drivers.station import Station
from drivers.valve import Valve
from lab.devices import DeviceSet
from protocols.protocol import Protocol
from protocols.steps import (
    Measure,
    RunConditions,
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


Handler = Callable[[Any, StepContext], Mapping[str, float] | None]
_HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Decorator: register the handler of one step kind.

    Raises:
        ValueError: Another handler already handles ``kind``.
    """

    def decorate(handler: Handler) -> Handler:
        existing = _HANDLERS.get(kind)
        if existing is not None and existing is not handler:
            raise ValueError(
                f"step kind {kind!r} already has a handler ({existing.__module__}."
                f"{existing.__qualname__}); register {handler.__qualname__} under another kind"
            )
        _HANDLERS[kind] = handler
        return handler

    return decorate


def handled_kinds() -> list[str]:
    """Return the step kinds the executor can run."""
    return sorted(_HANDLERS)


def execute(
    protocol: Protocol,
    devices: DeviceSet,
    clock: Clock,
    run_key: str,
    on_step: Callable[[int, str], None] | None = None,
) -> dict[str, float]:
    """Run every step of ``protocol`` in order and return the merged measurements.

    Args:
        protocol: The protocol to run (already validated).
        devices: The lab's connected devices.
        clock: Time source for waits.
        run_key: Unique key of this run; step keys are ``run_key/<n>``.
        on_step: Called with (step number, summary) before each step.

    Raises:
        ExecutionError: A step kind has no handler (checked before anything runs).
        DeviceError: A device failed; steps after it do not run.
    """
    missing = sorted({s.kind for s in protocol.steps} - set(_HANDLERS))
    if missing:
        raise ExecutionError(
            f"no handler for step kind(s) {', '.join(missing)}; "
            f"the executor runs: {', '.join(handled_kinds())}"
        )
    measurements: dict[str, float] = {}
    for number, step in enumerate(protocol.steps, start=1):
        if on_step is not None:
            on_step(number, step.summary())
        result = _HANDLERS[step.kind](step, StepContext(devices, clock, f"{run_key}/{number}"))
        if result:
            measurements.update(result)
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
