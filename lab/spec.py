"""Campaign files: what to optimize, on which lab, with which strategy and budget."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from planner import LinearConstraint, Objective, OutcomeConstraint, Parameter, Problem, SearchSpace
from protocols.reaction_metrics import Readout

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class StrategySpec(BaseModel):
    """Which planner strategy proposes, and its seed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "bo"
    seed: int = 0
    options: dict[str, Any] = {}

    @field_validator("name")
    @classmethod
    def _registered(cls, name: str) -> str:
        from planner import strategy_names

        known = strategy_names()
        if name not in known:
            raise ValueError(f"unknown strategy {name!r}; allowed: {', '.join(known)}")
        return name


class ApprovalSpec(BaseModel):
    """Who approves proposals before they run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: Literal["auto", "chemist", "rules"] = "auto"


class FlowProtocolSpec(BaseModel):
    """How a design becomes a flow-reactor protocol, and how results are read out.

    ``inputs`` maps each quantity the builder needs (residence_time_min,
    equivalents, concentration_mol_l, temperature_c) to a parameter name or a
    fixed number; a quantity left out is taken from the parameter of the same
    name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    builder: Literal["flow_reactor"] = "flow_reactor"
    inputs: dict[str, str | float] = {}
    limiting_species: str
    reagent_species: str
    heater: str
    analyzer: str
    steady_state_volumes: float = Field(default=3.0, gt=0)
    readout: Readout


class CampaignSpec(BaseModel):
    """One campaign file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME, max_length=200)
    description: str | None = None
    parameters: tuple[Parameter, ...]
    constraints: tuple[LinearConstraint, ...] = ()
    objectives: tuple[Objective, ...] = Field(min_length=1)
    outcome_constraints: tuple[OutcomeConstraint, ...] = ()
    budget: int = Field(ge=1, description="maximum number of experiments")
    batch_size: int = Field(default=1, ge=1, le=384)
    strategy: StrategySpec = StrategySpec()
    lab: str = Field(description="lab file, relative to this campaign file")
    protocol: FlowProtocolSpec
    approval: ApprovalSpec = ApprovalSpec()

    @model_validator(mode="after")
    def _check(self) -> CampaignSpec:
        try:
            self.problem()
        except ValidationError as exc:  # re-raised as a plain message of this model
            raise ValueError(
                "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            ) from None
        return self

    def problem(self) -> Problem:
        """Return the planner's view of this campaign."""
        return Problem(
            space=SearchSpace(parameters=self.parameters, constraints=self.constraints),
            objectives=self.objectives,
            outcome_constraints=self.outcome_constraints,
        )

    def with_budget(self, budget: int) -> CampaignSpec:
        """Return a copy with another budget."""
        return self.model_copy(update={"budget": budget})
