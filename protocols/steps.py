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


class WellRef(BaseModel):
    """One well of one labware, both named as in the lab file's deck (``plate``/``B3``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    labware: str
    well: str = Field(pattern=r"^[A-P][0-9]{1,2}$")

    def __str__(self) -> str:
        return f"{self.labware}/{self.well}"


class Transfer(_Step):
    """Move ``volume_ul`` from one well to another with a liquid handler's pipette.

    ``new_tip`` False keeps the tip of the previous transfer (allowed only from
    the same source). ``dispense_position`` ``top`` dispenses above the liquid
    and blows out, so a kept tip never touches what is already in the well.
    """

    kind: Literal["transfer"] = "transfer"
    device: str
    source: WellRef
    destination: WellRef
    volume_ul: float = Field(gt=0)
    new_tip: bool = True
    dispense_position: Literal["bottom", "top"] = "bottom"

    def summary(self) -> str:
        """Return e.g. ``transfer: 25 µL stocks/A1 → plate/B3 (ot2)``."""
        tip = "" if self.new_tip else ", same tip"
        return (
            f"transfer: {self.volume_ul:.4g} µL {self.source} → {self.destination} "
            f"({self.device}{tip})"
        )


class Mix(_Step):
    """Mix a well by aspirating and dispensing ``volume_ul`` ``repetitions`` times (new tip)."""

    kind: Literal["mix"] = "mix"
    device: str
    well: WellRef
    volume_ul: float = Field(gt=0)
    repetitions: int = Field(ge=1, le=50)

    def summary(self) -> str:
        """Return e.g. ``mix: plate/B3 3 × 100 µL (ot2)``."""
        return f"mix: {self.well} {self.repetitions} × {self.volume_ul:.4g} µL ({self.device})"


class ReadPlate(_Step):
    """Read wells of a plate; the values become the measurements of the experiments in them."""

    kind: Literal["read_plate"] = "read_plate"
    device: str
    labware: str
    wells: tuple[str, ...] = Field(min_length=1)
    label: str = "plate"


class Measure(_Step):
    """Take a sample and analyze it; the values become the experiment's measurements."""

    kind: Literal["measure"] = "measure"
    device: str
    label: str = "sample"


class RunConditions(_Step):
    """Hand one experiment's conditions to a station that runs it whole, and read its outcomes."""

    kind: Literal["run_conditions"] = "run_conditions"
    device: str
    conditions: dict[str, str | float]

    def summary(self) -> str:
        """Return e.g. ``run_conditions: ligand=XPhos, base=CsF (table)``."""
        shown = ", ".join(f"{k}={v}" for k, v in self.conditions.items())
        return f"run_conditions: {shown} ({self.device})"


class RunRobotProgram(_Step):
    """Run a compiled robot program whole (e.g. a Golden Gate batch on an OT-2 and its modules).

    ``constructs`` names what the program builds, each as its parts in
    assembly order, so the protocol can be reviewed without reading the program.
    """

    kind: Literal["run_robot_program"] = "run_robot_program"
    device: str
    filename: str
    robot_type: str
    text: str = Field(repr=False)
    constructs: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def summary(self) -> str:
        """Return e.g. ``run_robot_program: golden_gate_x.py on ot2 (2 constructs: e1 = ...)``."""
        shown = "; ".join(f"{name} = {' > '.join(parts)}" for name, parts in self.constructs[:3])
        more = f"; and {len(self.constructs) - 3} more" if len(self.constructs) > 3 else ""
        count = f" ({len(self.constructs)} construct(s): {shown}{more})" if self.constructs else ""
        return f"run_robot_program: {self.filename} on {self.device}{count}"


class Incubate(_Step):
    """Grow plates in an incubator at a temperature, shaking, for a time."""

    kind: Literal["incubate"] = "incubate"
    device: str
    labware: tuple[str, ...] = Field(min_length=1)
    temperature_c: float = Field(gt=0, lt=80)
    duration_h: float = Field(gt=0, le=240)
    shaking_rpm: float = Field(default=0.0, ge=0, le=1500)


Step = Annotated[
    SetTemperature
    | SetFlowRate
    | SwitchValve
    | Wait
    | WaitSteadyState
    | Measure
    | Transfer
    | Mix
    | ReadPlate
    | RunConditions
    | RunRobotProgram
    | Incubate,
    Field(discriminator="kind"),
]
"""Any protocol step."""


def step_device(step: Step) -> str | None:
    """The device ``step`` addresses, or ``None`` for a pause (which addresses none)."""
    if isinstance(step, Wait | WaitSteadyState):
        return None
    return step.device


STEP_KINDS: tuple[str, ...] = (
    "set_temperature",
    "set_flow_rate",
    "switch_valve",
    "wait",
    "wait_steady_state",
    "measure",
    "transfer",
    "mix",
    "read_plate",
    "run_robot_program",
    "incubate",
)
