"""What a builder does (:class:`DesignBuilder`) and can do beyond it, declared as typed protocols.

The loop and the loaders ask ``isinstance(builder, OffersCandidates)`` and so
on instead of probing attribute names: a builder gains a capability by
implementing the protocol's method with its signature, and mypy checks it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

from datastore.repository import MeasuredValue
from lab.specs.route import ApprovedRoute
from planner.candidates import CandidateSet
from planner.pathway.design import Construct
from planner.space import ParameterValue, SearchSpace
from protocols.hte import PlatePlan
from protocols.protocol import Protocol as StepsProtocol


class DesignBuilder(Protocol):
    """Turns designs into protocols and readings into measurements."""

    def outputs(self) -> list[str]:
        """Every measurement name a run produces."""
        ...

    def build(self, design: Mapping[str, ParameterValue], name: str) -> StepsProtocol:
        """Return the protocol for one design (raises ProtocolError if impossible)."""
        ...

    def measurements(
        self, protocol: StepsProtocol, readings: Mapping[str, float]
    ) -> list[MeasuredValue]:
        """Return what to store from a finished run."""
        ...


@runtime_checkable
class OffersCandidates(Protocol):
    """A builder that can run only some designs of the space (a replayed table, a library)."""

    def candidates(self, space: SearchSpace) -> CandidateSet:
        """The designs of ``space`` this builder can run."""
        ...


@runtime_checkable
class ChecksRunnable(Protocol):
    """A builder that can tell, before anything is stored, why its lab cannot run the campaign."""

    def run_problem(self) -> str | None:
        """Why the campaign cannot run on this lab, or ``None``.

        For example: the lab's reader cannot measure the objective.
        """
        ...


@runtime_checkable
class BuildsPlates(Protocol):
    """A builder that runs a whole batch as one plate of at most ``plate_capacity()`` wells."""

    def plate_capacity(self) -> int:
        """How many experiments one plate holds."""
        ...

    def build_plate(
        self, designs: Sequence[tuple[int, Mapping[str, ParameterValue]]], name: str
    ) -> object:
        """The plate protocol of ``(experiment number, design)`` pairs."""
        ...


@runtime_checkable
class KnowsCandidateTruth(Protocol):
    """A builder that replays a table: it knows every candidate's true outcome."""

    def candidate_truth(self, designs: pd.DataFrame, outcome: str) -> np.ndarray:
        """The true ``outcome`` of each design (a row of parameters), NaN where unknown."""
        ...


@runtime_checkable
class PlateBuilder(BuildsPlates, Protocol):
    """A builder that runs a batch of designs as one plate and reads each well's outcome.

    The campaign's runner is chosen by this capability: a plate runner for a
    plate builder, a single-experiment runner otherwise (see :mod:`lab.running.batch`).
    """

    def build_plate(
        self, designs: Sequence[tuple[int, Mapping[str, ParameterValue]]], name: str
    ) -> PlatePlan:
        """Return the plate protocol of ``(experiment number, design)`` pairs."""
        ...

    def plate_measurements(
        self, protocol: StepsProtocol, readings: Mapping[str, Mapping[str, float]]
    ) -> dict[int, list[MeasuredValue]]:
        """Turn ``{well: {quantity: value}}`` into each experiment's measurements."""
        ...


@runtime_checkable
class JudgesPlateOutcomes(Protocol):
    """A plate builder that judges each experiment's readings itself (replicates, controls)."""

    def plate_outcomes(
        self, protocol: StepsProtocol, readings: Mapping[str, Mapping[str, float]]
    ) -> dict[int, list[MeasuredValue] | str]:
        """Each experiment's measurements, or the reason it has none."""
        ...


@runtime_checkable
class CompilesOpentronsPlates(PlateBuilder, DesignBuilder, Protocol):
    """A plate builder whose every plate is one program of one Opentrons liquid handler.

    ``dbtl protocol compile`` previews such plates as the Opentrons protocol the robot runs.
    """

    def plate_robot(self) -> str:
        """The lab's liquid handler that pipettes each plate."""
        ...


@runtime_checkable
class BuildsConstructs(Protocol):
    """A builder whose designs are genetic constructs (parts assembled in order)."""

    def construct(self, design: Mapping[str, ParameterValue], name: str = "") -> Construct:
        """The construct of ``design``: its parts in assembly order."""
        ...


@runtime_checkable
class ChoosesRoutes(DesignBuilder, Protocol):
    """A builder whose designs each run one of a campaign's approved synthesis routes."""

    def chosen(self, design: Mapping[str, ParameterValue]) -> ApprovedRoute:
        """The approved route ``design`` runs.

        Raises:
            ProtocolError: The design names no approved route.
        """
        ...
