"""Typed, immutable protocol steps.

Each step is a frozen value with a literal ``kind``; the lab's executor
dispatches on ``kind`` to a handler, and an unknown kind is an error. Steps
name the device they address (as declared in the lab file) and carry their
quantities in units given by the field names.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Step(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def summary(self) -> str:
        """Return one human-readable line describing the step."""
        fields = self.model_dump(exclude={"kind"})
        return f"{self.kind}: " + ", ".join(f"{k}={v}" for k, v in fields.items())  # type: ignore[attr-defined]


class SetTemperature(_Step):
    """Set a heater's setpoint and, by default, wait until it holds within tolerance."""

    kind: Literal["set_temperature"] = "set_temperature"
    device: str
    temperature_c: float
    wait_until_stable: bool = True
    tolerance_c: float = Field(default=1.0, gt=0)
    timeout_s: float = Field(default=3600.0, gt=0)


class SetFlowRate(_Step):
    """Run a pump at a flow rate (mL/min); 0 stops it."""

    kind: Literal["set_flow_rate"] = "set_flow_rate"
    device: str
    flow_rate_ml_min: float = Field(ge=0)


class SwitchValve(_Step):
    """Move a selector valve to a position (1-based)."""

    kind: Literal["switch_valve"] = "switch_valve"
    device: str
    position: int = Field(ge=1)


class Wait(_Step):
    """Wait a fixed time."""

    kind: Literal["wait"] = "wait"
    seconds: float = Field(ge=0)
    reason: str = ""


class WaitSteadyState(_Step):
    """Wait until a flow reactor has been flushed by ``reactor_volumes`` volumes."""

    kind: Literal["wait_steady_state"] = "wait_steady_state"
    reactor_volumes: float = Field(gt=0)
    residence_time_min: float = Field(gt=0)

    @property
    def seconds(self) -> float:
        """How long the wait lasts."""
        return self.reactor_volumes * self.residence_time_min * 60.0


class Measure(_Step):
    """Take a sample and analyze it; the values become the experiment's measurements."""

    kind: Literal["measure"] = "measure"
    device: str
    label: str = "sample"


Step = Annotated[
    SetTemperature | SetFlowRate | SwitchValve | Wait | WaitSteadyState | Measure,
    Field(discriminator="kind"),
]
"""Any protocol step."""

STEP_KINDS: tuple[str, ...] = (
    "set_temperature",
    "set_flow_rate",
    "switch_valve",
    "wait",
    "wait_steady_state",
    "measure",
)
