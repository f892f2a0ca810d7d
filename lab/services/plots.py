"""What a campaign's plots draw, read in time independent of the campaign's size.

The summary view (counts, bests and best-so-far per cycle computed in the
database, as ``dbtl show``) and a table of at most :data:`PLOT_POINTS`
completed experiments: every k-th by number (a deterministic, evenly spread
sample, said under the plot) plus the best one or the whole Pareto front, so
the front drawn is the campaign's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from datastore import Datastore, pages
from datastore.exports import experiment_table
from lab.review.views import CampaignView, load_summary_view

__all__ = ["PLOT_POINTS", "PlotSample", "sample"]

PLOT_POINTS = 2000
"""Most completed experiments a scatter plot draws."""


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


def sample(store: Datastore, name: str, completed: int) -> PlotSample:
    """The summary view of campaign ``name`` with a sampled table of its completed experiments.

    Args:
        store: The datastore.
        name: The campaign.
        completed: How many experiments it has completed (from its summary's counts).

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        view = load_summary_view(session, name, last=0)  # table: the best one / the Pareto front
        every = max(1, math.ceil(completed / PLOT_POINTS))
        cid = view.campaign.id or 0
        numbers = set(pages.completed_sample_numbers(session, cid, every))
        if not view.table.empty:
            numbers |= {int(n) for n in view.table["number"]}
        names = view.spec.problem().outcome_names if view.spec else None
        table = experiment_table(session, view.campaign, names, numbers=numbers)
    return PlotSample(view, table, every, completed)
