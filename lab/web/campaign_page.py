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
from datastore.models import Experiment
from lab.services import campaigns as campaign_service
from lab.services.campaigns import Overview
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


def read(store: Datastore, name: str, page: int, before: int | None) -> Overview:
    """Campaign ``name``'s summary, page ``page`` (from 0) of its experiments and a page of its log.

    Raises:
        NotFoundError: No such campaign.
    """
    offset = page * EXPERIMENT_ROWS
    return campaign_service.overview(store, name, EXPERIMENT_ROWS, offset, EVENT_ROWS, before)


def experiment_rows(found: Overview, page: int) -> ExperimentRows:
    """The experiments table of :func:`read`'s page ``page``."""
    table = found.experiments
    return ExperimentRows(table.experiments, table.results, table.total, page)


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
