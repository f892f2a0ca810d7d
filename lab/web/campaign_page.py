"""What the campaign page shows, read in time independent of the campaign's size.

Counts, best values and the best-so-far per cycle come from the database
(:func:`lab.services.campaigns.overview`, as ``dbtl show``); the experiments table
and the event log are one page each; the scatter plots draw the sample of
:func:`lab.services.plots.sample` (at most :data:`~lab.services.plots.PLOT_POINTS`
completed experiments plus the best one or the whole Pareto front).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from datastore import Datastore
from datastore.models import Event, Experiment
from lab.services import events as event_service
from lab.services import experiments as experiment_service
from lab.services.plots import PlotSample
from lab.web import plots

EXPERIMENT_ROWS = 50
"""Experiments per page of the table."""
EVENT_ROWS = 50
"""Events per page of the log."""


@dataclass(frozen=True)
class ExperimentRows:
    """One page of the experiments table, newest first."""

    rows: list[Experiment]
    results: dict[int, dict[str, float]]
    total: int
    page: int

    @property
    def pages(self) -> int:
        """How many pages the table has."""
        return max(1, math.ceil(self.total / EXPERIMENT_ROWS))


def experiment_rows(store: Datastore, name: str, page: int) -> ExperimentRows:
    """Page ``page`` (from 0) of campaign ``name``'s experiments, newest first, with results.

    Raises:
        NotFoundError: No such campaign.
    """
    found = experiment_service.newest_page(store, name, EXPERIMENT_ROWS, page * EXPERIMENT_ROWS)
    return ExperimentRows(found.experiments, found.results, found.total, page)


def event_rows(store: Datastore, name: str, before: int | None) -> list[Event]:
    """One page of campaign ``name``'s event log, newest first (below id ``before`` if given).

    Raises:
        NotFoundError: No such campaign.
    """
    return event_service.recent(store, name, EVENT_ROWS, before)


def draw(sample: PlotSample) -> dict[str, Any]:
    """Every plot of the campaign page as SVG text (``None`` where there is nothing yet)."""
    view, objectives = sample.view, sample.view.objectives
    if not objectives:
        return {}
    first = objectives[0]
    return {
        "best": plots.progress_svg(view.best_so_far(first), first),
        "parameters": plots.parameters_svg(sample.table, view.parameter_names, first),
        "pareto": plots.pareto_svg(sample.table, objectives),
        "diagnostics": plots.diagnostics_svg(view.snapshots, sample.table, first),
        "note": sample.note,
    }
