"""What the loop tells the person watching it. The CLI renders it with Rich; tests ignore it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from datastore.models import Experiment
from planner import Proposal


class Reporter(Protocol):
    """Receives the loop's progress."""

    def recovered(self, numbers: Sequence[int]) -> None:
        """Experiments found running after a crash were flagged for attention."""

    def planning(self, cycle: int, n: int) -> None:
        """The planner is about to propose ``n`` designs for ``cycle``."""

    def planned(self, cycle: int, proposal: Proposal, seconds: float) -> None:
        """The planner proposed; ``seconds`` is its wall time."""

    def experiment_started(self, experiment: Experiment) -> None:
        """An experiment is running."""

    def experiment_finished(
        self, experiment: Experiment, values: Mapping[str, float], error: str | None
    ) -> None:
        """An experiment completed (``values``) or failed (``error``)."""

    def waiting(self, reason: str) -> None:
        """The campaign waits (for approvals, devices, or because it is paused)."""

    def alert(self, message: str) -> None:
        """Something an operator must act on (a device taken out of service)."""


class SilentReporter:
    """Reports nothing."""

    def recovered(self, numbers: Sequence[int]) -> None:
        """Ignore."""

    def planning(self, cycle: int, n: int) -> None:
        """Ignore."""

    def planned(self, cycle: int, proposal: Proposal, seconds: float) -> None:
        """Ignore."""

    def experiment_started(self, experiment: Experiment) -> None:
        """Ignore."""

    def experiment_finished(
        self, experiment: Experiment, values: Mapping[str, float], error: str | None
    ) -> None:
        """Ignore."""

    def waiting(self, reason: str) -> None:
        """Ignore."""

    def alert(self, message: str) -> None:
        """Ignore."""
