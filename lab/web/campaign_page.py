"""What the campaign page shows, read in time independent of the campaign's size.

Counts, best values and the best-so-far per cycle come from the database
(:func:`lab.review.views.load_summary_view`, as ``dbtl show``); the experiments table
and the event log are one page each; the scatter plots use at most
:data:`PLOT_POINTS` completed experiments, every k-th by number (a
deterministic, evenly spread sample, said under the plot) plus the best one
or the whole Pareto front, so the front drawn is the campaign's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from datastore import Session, pages
from datastore import repository as repo
from datastore.exports import experiment_table
from datastore.models import Event, Experiment
from datastore.summaries import status_counts
from lab.review.views import CampaignView, load_summary_view
from lab.web import plots

PLOT_POINTS = 2000
"""Most completed experiments a scatter plot draws."""
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


@dataclass(frozen=True)
class PlotSample:
    """The completed experiments a campaign's plots draw."""

    view: CampaignView
    table: pd.DataFrame
    every: int
    completed: int

    @property
    def note(self) -> str:
        """How the scatter plots were sampled (empty when they show everything)."""
        if self.every <= 1:
            return ""
        return (
            f"{len(self.table):,} of {self.completed:,} completed experiments drawn: "
            f"every {self.every}th by number, plus the best"
        )


def experiment_rows(session: Session, campaign_id: int, page: int) -> ExperimentRows:
    """Page ``page`` (from 0) of the campaign's experiments, newest first, with results."""
    rows, total = pages.newest_experiment_page(
        session, campaign_id, EXPERIMENT_ROWS, page * EXPERIMENT_ROWS
    )
    results = pages.measurements_of(session, [e.id or 0 for e in rows])
    return ExperimentRows(rows, results, total, page)


def event_rows(session: Session, campaign_id: int, before: int | None) -> list[Event]:
    """One page of the campaign's event log, newest first (below id ``before`` if given)."""
    return pages.recent_events(session, campaign_id, EVENT_ROWS, before)


def completed_count(session: Session, name: str) -> int:
    """How many experiments campaign ``name`` has completed (counted in the database)."""
    campaign = repo.get_campaign(session, name)
    return status_counts(session, campaign.id or 0).get("completed", 0)


def plot_sample(session: Session, name: str, completed: int) -> PlotSample:
    """The summary view of campaign ``name`` with a sampled table of its completed experiments.

    Args:
        session: Open session.
        name: The campaign.
        completed: How many experiments it has completed (from the summary's counts).
    """
    view = load_summary_view(session, name, last=0)  # table: the best one / the Pareto front
    every = max(1, math.ceil(completed / PLOT_POINTS))
    cid = view.campaign.id or 0
    numbers = set(pages.completed_sample_numbers(session, cid, every))
    if not view.table.empty:
        numbers |= {int(n) for n in view.table["number"]}
    names = view.spec.problem().outcome_names if view.spec else None
    table = experiment_table(session, view.campaign, names, numbers=numbers)
    return PlotSample(view, table, every, completed)


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
