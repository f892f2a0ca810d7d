"""Campaigns: load a campaign file, create or resume it, list, summarize and show stored ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from datastore import Datastore, Session
from datastore import repository as repo
from datastore.models import Campaign, Event
from lab.review.overview import CampaignSummary, campaign_summaries, campaign_summary, summarize
from lab.review.show_json import campaign_json, campaigns_json
from lab.review.views import CampaignView, load_summary_view, load_view
from lab.running import campaigns as campaign_files
from lab.running.campaigns import LoadedCampaign
from lab.services.actor import Actor

__all__ = ["CampaignSummary", "CampaignView", "LoadedCampaign", "Overview", "Shown"]


def load(path: Path, budget: int | None = None, allow_paths: Sequence[Path] = ()) -> LoadedCampaign:
    """Read and check a campaign file and its lab, as the loop runs them.

    Raises:
        SpecError: Either file is malformed, they do not fit together, or a
            path leaves the allowed folders (see :func:`lab.running.campaigns.load_campaign`).
    """
    return campaign_files.load_campaign(path, budget, allow_paths)


def check_resumable(store: Datastore, loaded: LoadedCampaign) -> None:
    """Raise if ``loaded`` cannot create or resume its campaign in ``store``; write nothing.

    Raises:
        SpecError: Stored with another spec, or the budget is below what already ran.
    """
    campaign_files.check_resumable(store, loaded)


def is_stored(store: Datastore, name: str) -> bool:
    """Whether a campaign called ``name`` is stored."""
    with store.session() as session:
        return repo.find_campaign(session, name) is not None


def create_or_resume(
    store: Datastore, loaded: LoadedCampaign, actor: Actor
) -> tuple[Campaign, bool]:
    """Store the campaign, or return the stored one (a budget change is recorded).

    Returns:
        The campaign and whether it already existed.

    Raises:
        SpecError: See :func:`check_resumable`.
    """
    return campaign_files.open_campaign(store, loaded, actor.name)


def stored(store: Datastore) -> list[Campaign]:
    """Every stored campaign, oldest first."""
    with store.session() as session:
        return repo.list_campaigns(session)


def summaries(store: Datastore) -> list[CampaignSummary]:
    """Every campaign's status, progress and best so far, oldest first."""
    return campaign_summaries(store)


def summary(store: Datastore, name: str) -> CampaignSummary:
    """One campaign's status, counts, progress and best so far.

    Raises:
        NotFoundError: No such campaign.
    """
    return campaign_summary(store, name)


def view(store: Datastore, name: str, with_events: bool = True) -> CampaignView:
    """Everything stored about one campaign: its experiments, snapshots and (optionally) events.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        return load_view(session, name, with_events=with_events)


def detail(store: Datastore, name: str) -> tuple[CampaignSummary, CampaignView]:
    """A campaign's summary and its full view (without events), read together.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        full = load_view(session, name, with_events=False)
        return summarize(session, full.campaign), full


def progress(store: Datastore, name: str) -> tuple[CampaignSummary, pd.DataFrame | None]:
    """A campaign's summary and its first objective's best-so-far per cycle (computed in SQL).

    Returns:
        The summary, and :meth:`~lab.review.views.CampaignView.best_so_far` of the
        first objective (``None`` when the campaign has no readable objective).

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        summary_view = load_summary_view(session, name, last=0)
        shown = summarize(session, summary_view.campaign)
    objectives = summary_view.objectives
    return shown, summary_view.best_so_far(objectives[0]) if objectives else None


@dataclass(frozen=True)
class Overview:
    """The head of a campaign's page: its summary and its newest cycle."""

    summary: CampaignSummary
    last_cycle: int


def overview(store: Datastore, name: str) -> Overview:
    """Campaign ``name``'s summary (counts, progress, best so far) and its newest cycle number.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        return Overview(summarize(session, campaign), repo.last_cycle(session, campaign.id or 0))


@dataclass(frozen=True)
class Shown:
    """What ``dbtl show NAME`` prints: the view and why the campaign has its status."""

    view: CampaignView
    status_reason: str


def show(store: Datastore, name: str, limit: int = 20, with_events: bool = False) -> Shown:
    """A campaign as ``dbtl show`` reads it: the last ``limit`` rows (0: everything).

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        shown = _view(session, name, limit, with_events)
        last = repo.last_event_of_kind(session, shown.campaign.id or 0, "campaign_status")
    return Shown(shown, status_reason(shown.campaign, last))


def show_json(
    store: Datastore, name: str | None, limit: int = 20, with_events: bool = False
) -> dict[str, Any]:
    """The JSON of ``dbtl show --json``: every campaign, or one.

    Keys are stable (see ``lab/review/show_json.py``).

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        if name is None:
            return campaigns_json(session)
        shown = _view(session, name, limit, with_events)
        last = repo.last_event_of_kind(session, shown.campaign.id or 0, "campaign_status")
        return campaign_json(session, shown, status_reason(shown.campaign, last))


def _view(session: Session, name: str, limit: int, with_events: bool) -> CampaignView:
    if limit:  # a summary: counts, bests and progress in SQL, only the last rows read
        return load_summary_view(session, name, limit, with_events=with_events)
    return load_view(session, name, with_events=with_events)


def status_reason(campaign: Campaign, last: Event | None) -> str:
    """Why a paused campaign is paused (its last status change), or ""."""
    if campaign.status != "paused" or last is None:
        return ""
    return str(last.payload.get("reason") or f"paused by {last.actor}")
