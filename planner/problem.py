"""What goes into a planner and what comes out.

Observations in, candidates out: a strategy sees the problem, the completed
(or failed) observations, the pending designs and how many to propose, and
returns a :class:`Proposal`. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from planner.candidates import CandidateSet
from planner.objectives import Objective, OutcomeConstraint
from planner.space import ParameterValue, SearchSpace

Design = Mapping[str, ParameterValue]


class Problem(BaseModel):
    """A search space with the objectives (and outcome constraints) to optimize."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    space: SearchSpace
    objectives: tuple[Objective, ...]
    outcome_constraints: tuple[OutcomeConstraint, ...] = ()
    candidates: CandidateSet | None = None
    """When set, only these designs may be proposed."""

    @model_validator(mode="after")
    def _check(self) -> Problem:
        if not self.objectives:
            raise ValueError("at least one objective is needed")
        names = [o.name for o in self.objectives]
        if len(set(names)) != len(names):
            raise ValueError("objective names must be unique")
        clash = sorted(set(names) & set(self.space.names))
        if clash:
            raise ValueError(f"objective(s) {', '.join(clash)} share a name with a parameter")
        if self.candidates is not None and self.candidates.space != self.space:
            raise ValueError("the candidate set was validated against another search space")
        return self

    @property
    def objective_names(self) -> list[str]:
        """Objective names in declaration order."""
        return [o.name for o in self.objectives]

    @property
    def outcome_names(self) -> list[str]:
        """Every measured quantity the planner models: objectives then constrained outcomes."""
        extra = [c.name for c in self.outcome_constraints if c.name not in self.objective_names]
        return self.objective_names + list(dict.fromkeys(extra))


@dataclass(frozen=True)
class Observation:
    """One executed design and what was measured.

    ``failed`` observations carry no values: the experiment did not yield a
    result (device error, clogged line). Strategies must not read them as a
    zero yield.

    ``task`` names the campaign an observation comes from when it is not the
    current one: results of a related campaign (another substrate, another
    reactor) that a model may learn from without taking them at face value.
    ``None`` is the current campaign (also for warm-start results of it).
    """

    parameters: Design
    values: Mapping[str, float] = field(default_factory=dict)
    failed: bool = False
    task: str | None = None


@dataclass(frozen=True)
class Prediction:
    """A model's predicted mean and standard deviation for one outcome.

    ``sd`` is the uncertainty of a measurement at the design: the model's
    uncertainty about the mean plus the measurement noise it learned, so that
    about 95 % of measurements fall within ``mean ± 1.96 sd`` when the model
    is calibrated (see ``coverage_95`` in the model report).
    """

    mean: float
    sd: float


@dataclass(frozen=True)
class Suggestion:
    """One proposed design, with what the model expects of it when it has a model."""

    parameters: dict[str, ParameterValue]
    predictions: Mapping[str, Prediction] = field(default_factory=dict)
    generator: str = ""
    acquisition_value: float | None = None

    def predicted_json(self) -> dict[str, Any] | None:
        """Return the predictions as plain JSON, or ``None`` when there are none."""
        out: dict[str, Any] = {
            name: {"mean": p.mean, "sd": p.sd} for name, p in self.predictions.items()
        }
        if self.acquisition_value is not None:
            out["_acquisition_value"] = self.acquisition_value
        if self.generator:
            out["_generator"] = self.generator
        return out or None


@dataclass(frozen=True)
class ModelReport:
    """What a strategy did this cycle: how many observations it learned from, and fit checks."""

    strategy: str
    n_train: int
    diagnostics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Proposal:
    """A strategy's answer: the suggested designs and its report."""

    suggestions: Sequence[Suggestion]
    report: ModelReport


def completed(observations: Sequence[Observation]) -> list[Observation]:
    """Return the current campaign's observations that produced values."""
    return [o for o in observations if not o.failed and o.task is None]
