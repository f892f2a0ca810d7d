"""The audit trail read by cursor: every event after the last one a reader has seen."""

from __future__ import annotations

from datastore import Datastore, pages
from datastore import repository as repo
from datastore.models import Event


def last_event_id(store: Datastore) -> int:
    """The id of the newest event of any campaign (0 when there is none)."""
    with store.session() as session:
        return pages.last_event_id(session)


def events_after(
    store: Datastore, after: int, limit: int, campaign: str | None = None
) -> list[tuple[Event, str]]:
    """Up to ``limit`` events with an id above ``after``, oldest first, with their campaign's name.

    Raises:
        NotFoundError: ``campaign`` is given and not stored.
    """
    with store.session() as session:
        names = {c.id: c.name for c in repo.list_campaigns(session)}
        campaign_id = repo.get_campaign(session, campaign).id if campaign else None
        rows = pages.event_page(session, campaign_id, after, limit)
    return [(e, names.get(e.campaign_id, "")) for e in rows]


def recent(store: Datastore, name: str, limit: int, before: int | None = None) -> list[Event]:
    """Campaign ``name``'s newest ``limit`` events (below id ``before`` if given), newest first.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        campaign_id = repo.get_campaign(session, name).id or 0
        return pages.recent_events(session, campaign_id, limit, before)
