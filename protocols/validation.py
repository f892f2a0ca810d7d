"""Static checks of a protocol against the lab's device limits, before anything runs."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from protocols.deck import Deck
from protocols.errors import ProtocolValidationError
from protocols.liquid_validation import plate_violations
from protocols.protocol import Protocol
from protocols.steps import (
    Incubate,
    Mix,
    ReadPlate,
    RunConditions,
    RunRobotProgram,
    SetFlowRate,
    SetTemperature,
    Step,
    SwitchValve,
    Transfer,
)


class DeviceLimits(BaseModel):
    """Safe operating limits of one device, as declared in the lab file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    max_flow_rate_ml_min: float | None = None
    min_temperature_c: float | None = None
    max_temperature_c: float | None = None
    positions: int | None = None
    deck: Deck | None = None


def violations(protocol: Protocol, limits: Mapping[str, DeviceLimits]) -> list[str]:
    """Return every way ``protocol`` breaks the lab's limits (empty when it is safe)."""
    found = []
    for index, step in enumerate(protocol.steps, start=1):
        device = getattr(step, "device", None)
        if device is None:
            continue
        if device not in limits:
            found.append(
                f"step {index} ({step.kind}) addresses unknown device {device!r}; "
                f"the lab has: {', '.join(sorted(limits))}"
            )
            continue
        found += [
            f"step {index} ({step.kind}): {problem}"
            for problem in _step_problems(step, limits[device])
        ]
    return found + _liquid_handler_problems(protocol, limits)


def _liquid_handler_problems(protocol: Protocol, limits: Mapping[str, DeviceLimits]) -> list[str]:
    """Replay the liquid steps of every liquid handler against its deck."""
    found = []
    handlers = {s.device for s in protocol.steps if isinstance(s, Transfer | Mix)}
    for name in sorted(handlers & set(limits)):
        deck = limits[name].deck
        if limits[name].kind != "liquid_handler":
            continue  # reported per step
        if deck is None:
            found.append(f"liquid handler {name} has no deck in the lab file")
            continue
        found += [f"{name}: {problem}" for problem in plate_violations(protocol, name, deck)]
    return found


def check_protocol(protocol: Protocol, limits: Mapping[str, DeviceLimits]) -> None:
    """Raise if ``protocol`` breaks any limit.

    Raises:
        ProtocolValidationError: Listing every violation.
    """
    found = violations(protocol, limits)
    if found:
        raise ProtocolValidationError(protocol.name, found)


_EXPECTED_KIND = {
    SetFlowRate: "pump",
    SetTemperature: "heater",
    SwitchValve: "valve",
    Transfer: "liquid_handler",
    Mix: "liquid_handler",
    ReadPlate: "plate_reader",
    RunConditions: "station",
    RunRobotProgram: "liquid_handler",
    Incubate: "incubator",
}


def _step_problems(step: Step, limit: DeviceLimits) -> list[str]:
    expected = _EXPECTED_KIND.get(type(step))
    if expected and limit.kind != expected:
        return [f"device {step.device} is a {limit.kind}, not a {expected}"]  # type: ignore[union-attr]
    if (
        isinstance(step, SetFlowRate)
        and limit.max_flow_rate_ml_min is not None
        and step.flow_rate_ml_min > limit.max_flow_rate_ml_min
    ):
        return [
            f"{step.device} flow {step.flow_rate_ml_min:.4g} mL/min exceeds its limit "
            f"{limit.max_flow_rate_ml_min:g} mL/min"
        ]
    if isinstance(step, SetTemperature):
        if limit.max_temperature_c is not None and step.temperature_c > limit.max_temperature_c:
            return [
                f"{step.device} setpoint {step.temperature_c:g} °C exceeds its limit "
                f"{limit.max_temperature_c:g} °C"
            ]
        if limit.min_temperature_c is not None and step.temperature_c < limit.min_temperature_c:
            return [
                f"{step.device} setpoint {step.temperature_c:g} °C is below its limit "
                f"{limit.min_temperature_c:g} °C"
            ]
    if isinstance(step, Incubate):
        low, high = limit.min_temperature_c, limit.max_temperature_c
        if (low is not None and step.temperature_c < low) or (
            high is not None and step.temperature_c > high
        ):
            return [
                f"{step.device} incubation at {step.temperature_c:g} °C is outside its limits "
                f"{low if low is not None else '-'}-{high if high is not None else '-'} °C"
            ]
    if (
        isinstance(step, SwitchValve)
        and limit.positions is not None
        and step.position > limit.positions
    ):
        return [f"{step.device} has {limit.positions} positions; asked for {step.position}"]
    return []
