"""Streaming reads of large campaigns: a page of rows at a time, by keyset pagination.

Exports of 100,000 experiments or 1,000,000 events never hold the whole
campaign in memory: each page is read with ``WHERE key > last ORDER BY key
LIMIT n`` on an index, so every page costs the same however deep it is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from datastore.models import Event, Experiment, Measurement, ModelSnapshot
from datastore.provenance_models import RunExperiment

PAGE_ROWS = 2000
"""Rows per page of a streaming read."""


@dataclass
class ExperimentFacts:
    """One experiment with its measurements, its approver, its times and its run."""

    id: int
    number: int
    cycle: int
    status: str
    parameters: dict[str, Any]
    predicted: dict[str, Any] | None
    error: str | None
    created_at: datetime
    measurements: dict[str, tuple[float, str | None]] = field(default_factory=dict)
    approved_by: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    run_key: str | None = None
    well: str | None = None
    protocol_sha256: str | None = None


def experiment_pages(
    session: Session,
    campaign_id: int,
    statuses: Sequence[str] | None = None,
    *,
    page_rows: int = PAGE_ROWS,
    with_events: bool = True,
    numbers: Collection[int] | None = None,
) -> Iterator[list[ExperimentFacts]]:
    """Yield the campaign's experiments page by page, in order.

    Args:
        session: Open session.
        campaign_id: The campaign.
        statuses: Only experiments in these states.
        page_rows: Experiments per page.
        with_events: Also read approver, times and run of each experiment.
        numbers: Only the experiments with these numbers (at most a page's worth
            is sensible: they are sent as one ``IN`` list).
    """
    last = 0
    while True:
        query = (
            sa_select(*_EXPERIMENT_COLUMNS)
            .where(col(Experiment.campaign_id) == campaign_id)
            .where(col(Experiment.number) > last)
            .order_by(col(Experiment.number))
            .limit(page_rows)
        )
        if statuses is not None:
            query = query.where(col(Experiment.status).in_(list(statuses)))
        if numbers is not None:
            query = query.where(col(Experiment.number).in_(sorted(numbers)))
        rows = list(session.execute(query))
        if not rows:
            return
        last = rows[-1][1]
        page = {int(row[0]): ExperimentFacts(*row) for row in rows}
        _add_measurements(session, page)
        if with_events:
            _add_events(session, page)
            _add_runs(session, page)
        yield list(page.values())


_EXPERIMENT_COLUMNS: tuple[Any, ...] = tuple(
    col(getattr(Experiment, name))
    for name in (
        "id",
        "number",
        "cycle",
        "status",
        "parameters",
        "predicted",
        "error",
        "created_at",
    )
)
"""Read as plain columns: no ORM objects accumulate in the session while streaming."""


def _add_measurements(session: Session, page: dict[int, ExperimentFacts]) -> None:
    rows = session.exec(
        select(
            Measurement.experiment_id, Measurement.name, Measurement.value, Measurement.unit
        ).where(col(Measurement.experiment_id).in_(list(page)))
    )
    for experiment_id, name, value, unit in rows:
        page[experiment_id].measurements[name] = (value, unit)


def _add_events(session: Session, page: dict[int, ExperimentFacts]) -> None:
    rows = session.exec(
        select(Event.experiment_id, Event.to_status, Event.actor, Event.created_at)
        .where(col(Event.experiment_id).in_(list(page)))
        .where(col(Event.to_status).in_(["approved", "running", "completed", "failed"]))
        .order_by(col(Event.id))
    )
    for experiment_id, status, actor, at in rows:
        facts = page[experiment_id or 0]
        if status == "approved":
            facts.approved_by = actor
        elif status == "running":
            facts.started_at = at
        else:
            facts.finished_at = at


def _add_runs(session: Session, page: dict[int, ExperimentFacts]) -> None:
    rows = session.exec(
        select(
            RunExperiment.experiment_id,
            RunExperiment.run_key,
            RunExperiment.well,
            RunExperiment.protocol_sha256,
        )
        .where(col(RunExperiment.experiment_id).in_(list(page)))
        .order_by(col(RunExperiment.created_at))
    )
    for experiment_id, run_key, well, sha256 in rows:
        facts = page[experiment_id]
        facts.run_key, facts.well, facts.protocol_sha256 = run_key, well, sha256


EVENT_FIELDS = (
    "id", "experiment_id", "kind", "from_status", "to_status", "actor", "created_at", "payload",
)  # fmt: skip


def event_pages(
    session: Session, campaign_id: int, *, page_rows: int = PAGE_ROWS
) -> Iterator[list[dict[str, Any]]]:
    """Yield the campaign's events page by page (as column dicts), in the order written."""
    columns: list[Any] = [col(getattr(Event, name)) for name in EVENT_FIELDS]
    last = 0
    while True:
        rows = session.execute(
            sa_select(*columns)
            .where(col(Event.campaign_id) == campaign_id)
            .where(col(Event.id) > last)
            .order_by(col(Event.id))
            .limit(page_rows)
        ).all()
        if not rows:
            return
        last = int(rows[-1][0])
        yield [dict(zip(EVENT_FIELDS, row, strict=True)) for row in rows]


def snapshot_rows(session: Session, campaign_id: int) -> list[ModelSnapshot]:
    """Every model report of the campaign, in cycle order (one per cycle: small)."""
    query = (
        select(ModelSnapshot)
        .where(ModelSnapshot.campaign_id == campaign_id)
        .order_by(col(ModelSnapshot.cycle))
    )
    return list(session.exec(query))
