"""Campaign files: what to optimize, on which lab, with which strategy and budget."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lab.specs.hte import HteProtocolSpec
from lab.specs.pathway import PathwayProtocolSpec, pathway_parameters
from lab.specs.route import RouteProtocolSpec
from planner import (
    Exclusion,
    LinearConstraint,
    Objective,
    OutcomeConstraint,
    Parameter,
    Problem,
    SearchSpace,
)
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

    @model_validator(mode="after")
    def _known_options(self) -> StrategySpec:
        from planner import strategy_options

        known = strategy_options(self.name)
        unknown = sorted(set(self.options) - set(known))
        if unknown:
            raise ValueError(
                f"strategy {self.name!r} has no option(s) {', '.join(unknown)}; "
                f"its options: {', '.join(known) or 'none'}"
            )
        return self


class SafeEnvelope(BaseModel):
    """Where the ``rules`` policy may approve on its own: ranges and allowed choices."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ranges: dict[str, tuple[float, float]] = {}
    allowed: dict[str, tuple[str | float, ...]] = {}

    @field_validator("ranges")
    @classmethod
    def _ordered(cls, ranges: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name, (low, high) in ranges.items():
            if not low <= high:
                raise ValueError(f"ranges.{name}: lower {low:g} must be <= upper {high:g}")
        return ranges


class ApprovalSpec(BaseModel):
    """Who approves proposals before they run.

    ``auto`` approves every proposal whose protocol is within the lab's limits
    (dry runs, CI); ``chemist`` holds every proposal for a person; ``rules``
    approves proposals inside ``envelope`` and holds the rest for a person.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: Literal["auto", "chemist", "rules"] = "auto"
    envelope: SafeEnvelope = SafeEnvelope()

    @model_validator(mode="after")
    def _envelope_for_rules(self) -> ApprovalSpec:
        empty = not self.envelope.ranges and not self.envelope.allowed
        if self.policy == "rules" and empty:
            raise ValueError("policy 'rules' needs an envelope (ranges and/or allowed choices)")
        return self


class RetrySpec(BaseModel):
    """How often an experiment that failed on a device error is tried again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=1, ge=1, le=10, description="1 means no retry")
    out_of_service_after: int = Field(
        default=3, ge=1, description="consecutive failures that take a device out of service"
    )


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


class StationProtocolSpec(BaseModel):
    """Each design runs whole on one experiment station (a table of published experiments).

    ``inputs`` maps a station condition to the parameter that sets it; a
    condition left out is set by the parameter of the same name.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    builder: Literal["station"] = "station"
    station: str
    inputs: dict[str, str] = {}


class CampaignSpec(BaseModel):
    """One campaign file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME, max_length=200)
    description: str | None = None
    parameters: tuple[Parameter, ...]
    constraints: tuple[LinearConstraint, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    fixed_per_batch: tuple[str, ...] = ()
    objectives: tuple[Objective, ...] = Field(min_length=1)
    outcome_constraints: tuple[OutcomeConstraint, ...] = ()
    budget: int = Field(ge=1, description="maximum number of experiments")
    batch_size: int = Field(default=1, ge=1, le=384)
    strategy: StrategySpec = StrategySpec()
    lab: str = Field(description="lab file, relative to this campaign file")
    protocol: Annotated[
        FlowProtocolSpec
        | HteProtocolSpec
        | StationProtocolSpec
        | RouteProtocolSpec
        | PathwayProtocolSpec,
        Field(discriminator="builder"),
    ]
    approval: ApprovalSpec = ApprovalSpec()
    priority: int = Field(default=0, description="higher runs first when campaigns share devices")
    retry: RetrySpec = RetrySpec()

    @model_validator(mode="before")
    @classmethod
    def _pathway_parameters(cls, data: Any, info: ValidationInfo) -> Any:
        """A pathway campaign's parameters are its parts file's design space."""
        protocol = data.get("protocol") if isinstance(data, dict) else None
        if not isinstance(protocol, dict) or protocol.get("builder") != "pathway":
            return data
        base = (info.context or {}).get("base_dir")
        return pathway_parameters(data, Path(base) if base is not None else None)

    @model_validator(mode="after")
    def _check(self) -> CampaignSpec:
        self._check_envelope()
        try:
            self.problem()
        except ValidationError as exc:  # re-raised as a plain message of this model
            raise ValueError(
                "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
            ) from None
        return self

    def _check_envelope(self) -> None:
        names = {p.name for p in self.parameters}
        envelope = self.approval.envelope
        unknown = sorted((set(envelope.ranges) | set(envelope.allowed)) - names)
        if unknown:
            raise ValueError(
                f"approval.envelope names unknown parameter(s) {', '.join(unknown)}; "
                f"parameters: {', '.join(sorted(names))}"
            )

    def problem(self) -> Problem:
        """Return the planner's view of this campaign."""
        return Problem(
            space=SearchSpace(
                parameters=self.parameters,
                constraints=self.constraints,
                exclusions=self.exclusions,
                fixed_per_batch=self.fixed_per_batch,
            ),
            objectives=self.objectives,
            outcome_constraints=self.outcome_constraints,
        )

    def with_budget(self, budget: int) -> CampaignSpec:
        """Return a copy with another budget."""
        return self.model_copy(update={"budget": budget})
