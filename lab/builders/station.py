"""The ``station`` builder: each design is one run of an experiment station.

The station (a table of published experiments in simulation) takes the
design's conditions and returns every outcome at once. When the station
replays a table, the table's distinct designs are the campaign's candidates:
the planner never proposes a combination the table does not hold.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from datastore.repository import MeasuredValue
from lab.builders.errors import BuildConfigError, check_station
from lab.devices.lab_spec import LabSpec
from lab.specs.campaign import StationProtocolSpec
from planner import CandidateSet, SearchSpace
from planner.errors import PlannerError
from planner.space import ParameterValue
from protocols.protocol import Protocol
from protocols.steps import RunConditions
from simulators.experiment_table import (
    ConditionsNotInTableError,
    ExperimentTable,
    ExperimentTableError,
)
from simulators.table_station import ExperimentTableSettings


class StationBuilder:
    """Designs to one-step station protocols; outcomes to measurements."""

    def __init__(self, spec: StationProtocolSpec, lab: LabSpec, parameter_names: list[str]) -> None:
        """Check the station exists, replays a table, and gets every condition it needs.

        Raises:
            BuildConfigError: Naming the key of the protocol section at fault.
        """
        self.spec = spec
        check_station(lab, spec.station)
        device = lab.device(spec.station)
        if not isinstance(device.settings, ExperimentTableSettings):
            raise BuildConfigError(
                "protocol.station", f"station {spec.station!r} has no experiment_table"
            )
        self.table_spec = device.settings.experiment_table
        self.sources = _sources(spec, self.table_spec.parameters, parameter_names)

    def outputs(self) -> list[str]:
        """The station's outcome columns."""
        return list(self.table_spec.outcomes)

    def build(self, design: Mapping[str, ParameterValue], name: str) -> Protocol:
        """One step: run the design's conditions on the station."""
        conditions = {c: _plain(design[p]) for c, p in self.sources.items()}
        step = RunConditions(device=self.spec.station, conditions=conditions)
        return Protocol(name=name, steps=(step,), metadata={"conditions": conditions})

    def measurements(
        self, protocol: Protocol, readings: Mapping[str, float]
    ) -> list[MeasuredValue]:
        """Every outcome the station returned."""
        return [MeasuredValue(k, float(v)) for k, v in readings.items() if k in self.outputs()]

    def candidates(self, space: SearchSpace) -> CandidateSet:
        """The table's distinct designs, in the campaign's parameter names.

        Raises:
            BuildConfigError: The table cannot be read or its rows do not fit the space.
        """
        try:
            table = ExperimentTable.load(self.table_spec)
            designs = table.designs.rename(columns={c: p for c, p in self.sources.items()})
            return CandidateSet(space, designs)
        except (ExperimentTableError, PlannerError) as exc:
            raise BuildConfigError("parameters", f"station {self.spec.station!r}: {exc}") from None

    def candidate_truth(self, designs: pd.DataFrame, outcome: str) -> np.ndarray:
        """The table's ``outcome`` for each design (a row of parameters), NaN where it has none.

        Raises:
            BuildConfigError: The table cannot be read, has no such outcome, or
                holds no experiment with one of the designs.
        """
        try:
            table = ExperimentTable.load(self.table_spec)
        except ExperimentTableError as exc:
            raise BuildConfigError("parameters", f"station {self.spec.station!r}: {exc}") from None
        if outcome not in table.spec.outcomes:
            raise BuildConfigError("objectives", f"the station's table has no outcome {outcome!r}")
        values = []
        for design in designs.to_dict(orient="records"):
            conditions = {c: _plain(design[p]) for c, p in self.sources.items()}
            try:
                values.append(table.lookup(conditions)[outcome])
            except ConditionsNotInTableError as exc:
                raise BuildConfigError("parameters", str(exc)) from None
        return np.asarray(values, dtype=float)


def _sources(
    spec: StationProtocolSpec, conditions: tuple[str, ...], parameter_names: list[str]
) -> dict[str, str]:
    unknown = sorted(set(spec.inputs) - set(conditions))
    if unknown:
        raise BuildConfigError(
            "protocol.inputs",
            f"the station has no condition(s) {', '.join(unknown)}; "
            f"its conditions: {', '.join(conditions)}",
        )
    sources = {c: spec.inputs.get(c, c) for c in conditions}
    for condition, parameter in sources.items():
        if parameter not in parameter_names:
            raise BuildConfigError(
                f"protocol.inputs.{condition}",
                f"no parameter {parameter!r} sets station condition {condition!r}; "
                f"parameters: {', '.join(parameter_names)}",
            )
    unused = sorted(set(parameter_names) - set(sources.values()))
    if unused:
        raise BuildConfigError(
            "parameters",
            f"parameter(s) {', '.join(unused)} set no station condition; "
            f"the station's conditions: {', '.join(conditions)}",
        )
    return sources


def _plain(value: ParameterValue) -> str | float:
    return value if isinstance(value, str) else float(value)
