"""Experiments read a page at a time, with their measured values: lists, one experiment.

Each read is one page query plus one for the page's measurements
(:mod:`datastore.pages`), so it costs the same at any campaign size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from datastore import Datastore, ExperimentStatus, lookups, pages
from datastore import repository as repo
from datastore.models import Experiment

__all__ = ["ExperimentPage", "Found", "newest_page", "one", "page"]


@dataclass(frozen=True)
class ExperimentPage:
    """One page of experiments, each with its campaign's name and its measured values.

    Attributes:
        rows: (campaign name, experiment) in the page's order.
        results: Measured values by experiment id, then by name (``{}`` if none yet).
        total: How many experiments match in all (every page).
    """

    rows: list[tuple[str, Experiment]]
    results: dict[int, dict[str, float]]
    total: int

    @property
    def experiments(self) -> list[Experiment]:
        """The page's experiments without their campaigns' names."""
        return [e for _name, e in self.rows]


@dataclass(frozen=True)
class Found:
    """One experiment with its campaign's name and measured values."""

    campaign: str
    experiment: Experiment
    results: dict[str, float]


def page(
    store: Datastore,
    name: str,
    statuses: Sequence[ExperimentStatus] | None,
    limit: int,
    offset: int = 0,
) -> ExperimentPage:
    """A page of campaign ``name``'s experiments in number order, optionally of some statuses.

    Args:
        store: The datastore.
        name: The campaign.
        statuses: Only experiments in one of these (``None`` or empty: every one).
        limit: Most rows in the page.
        offset: Rows to skip.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        rows, total = pages.experiment_page(session, campaign.id or 0, statuses, limit, offset)
        results = pages.measurements_of(session, [e.id or 0 for e in rows])
    return ExperimentPage([(campaign.name, e) for e in rows], results, total)


def newest_page(store: Datastore, name: str, limit: int, offset: int = 0) -> ExperimentPage:
    """A page of campaign ``name``'s experiments, newest first (the campaign page's table).

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        rows, total = pages.newest_experiment_page(session, campaign.id or 0, limit, offset)
        results = pages.measurements_of(session, [e.id or 0 for e in rows])
    return ExperimentPage([(campaign.name, e) for e in rows], results, total)


def one(store: Datastore, experiment_id: int) -> Found:
    """The experiment with id ``experiment_id``, its campaign's name and measured values.

    Raises:
        NotFoundError: No experiment has that id.
    """
    with store.session() as session:
        experiment = repo.get_experiment(session, experiment_id)
        campaign = lookups.campaign_of(session, experiment)
        results = pages.measurements_of(session, [experiment_id])[experiment_id]
    return Found(campaign.name, experiment, results)
