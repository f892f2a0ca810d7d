"""Lean reads for the ORD export: completed experiments a page at a time, as plain rows.

The export of 100,000 experiments reads only what a reaction record needs
(design, measurements, approver, times, run) with Core queries on the
X
per page of :data:`ORD_PAGE_ROWS` experiments, keyset-paginated on
``(campaign_id, number)`` so every page costs the same and memory is bounded
by one page on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, Text, cast, select
from sqlmodel import Session

from datastore.models import Event, Experiment, Measurement
from datastore.provenance_models import ProtocolRecord, RunExperiment
from datastore.raw_rows import driver_rows, stored_time
from datastore.stream import ExperimentFacts

ORD_PAGE_ROWS = 5000
"""Experiments per page of the ORD export's read."""
DESIGN_ENTRIES = 20_000
"""Distinct designs whose decoded form a read keeps before starting afresh."""
_EVENT_STATUSES = ("approved", "running", "completed", "failed")
NOT_READ = datetime(1970, 1, 1, tzinfo=UTC)
"""``created_at`` of the experiments of these pages: the records do not carry it."""
Span = tuple[int, int]
"""Lowest and highest experiment id of a page: related rows are read by id range (an
index range scan, no bound parameter per id) and those of other experiments skipped."""


def _table(model: Any) -> Table:
    return model.__table__


def completed_pages(
    session: Session, campaign_id: int, *, page_rows: int = ORD_PAGE_ROWS
) -> Iterator[list[ExperimentFacts]]:
    """Yield the campaign's completed experiments page by page, in experiment order.

    Each :class:`ExperimentFacts` carries the design, the measurements, the
    approving actor, the ``running`` and final times and the plate run (well,
    protocol digest) of one experiment; ``predicted``, ``error`` and
    ``created_at`` (:data:`NOT_READ`) are not read. The design is read as its
    stored JSON text and decoded once per distinct text: experiments with the
    same design share one dict, which readers must not change.
    """
    experiments = _table(Experiment)
    connection = session.connection()
    designs = _Designs()
    last = 0
    while True:
        query = (
            select(experiments.c.id, experiments.c.number, experiments.c.cycle,
                   cast(experiments.c.parameters, Text))
            .where(experiments.c.campaign_id == campaign_id)
            .where(experiments.c.status == "completed")
            .where(experiments.c.number > last)
            .order_by(experiments.c.number)
            .limit(page_rows)
        )  # fmt: skip
        page = {
            row[0]: ExperimentFacts(
                row[0], row[1], row[2], "completed", designs.decoded(row[3]), None, None, NOT_READ
            )
            for row in driver_rows(connection, query)
        }
        if not page:
            return
        last = max(facts.number for facts in page.values())
        span = (min(page), max(page))
        _measurements(connection, page, span)
        _events(connection, page, span)
        _runs(connection, page, span)
        yield list(page.values())


class _Designs:
    """Designs decoded from their stored JSON text, once per distinct text (bounded)."""

    def __init__(self) -> None:
        self._known: dict[str, dict[str, Any]] = {}

    def decoded(self, text: str | dict[str, Any]) -> dict[str, Any]:
        """The design of stored ``text``; experiments of equal text share one (read-only) dict."""
        if isinstance(text, dict):  # a driver that decodes JSON itself
            return text
        design = self._known.get(text)
        if design is None:
            design = json.loads(text)
            if len(self._known) >= DESIGN_ENTRIES:
                self._known.clear()
            self._known[text] = design
        return design


def _measurements(connection: Any, page: dict[int, ExperimentFacts], span: Span) -> None:
    table = _table(Measurement)
    query = select(table.c.experiment_id, table.c.name, table.c.value, table.c.unit).where(
        table.c.experiment_id.between(*span)
    )
    for experiment_id, name, value, unit in driver_rows(connection, query):
        if (facts := page.get(experiment_id)) is not None:
            facts.measurements[name] = (value, unit)


def _events(connection: Any, page: dict[int, ExperimentFacts], span: Span) -> None:
    """Approver, start and end time, from the transition events (in the order written).

    Read in index order (by experiment, then as written), which keeps each
    experiment's events in the order written; the times are made UTC only for
    the ``running`` and final events (as the column type makes them: see :func:`_utc`).
    """
    table = _table(Event)
    query = (
        select(table.c.experiment_id, table.c.to_status, table.c.actor, table.c.created_at)
        .where(table.c.experiment_id.between(*span))
        .where(table.c.to_status.in_(_EVENT_STATUSES))
        .order_by(table.c.experiment_id, table.c.id)
    )
    for experiment_id, status, actor, at in driver_rows(connection, query):
        facts = page.get(experiment_id)
        if facts is None:
            continue
        if status == "approved":
            facts.approved_by = actor
        elif status == "running":
            facts.started_at = _utc(stored_time(at))
        else:
            facts.finished_at = _utc(stored_time(at))


def _utc(at: datetime) -> datetime:
    """The stored time in UTC, as the ``created_at`` column's type returns it."""
    return at.replace(tzinfo=UTC) if at.utcoffset() is None else at.astimezone(UTC)


def _runs(connection: Any, page: dict[int, ExperimentFacts], span: Span) -> None:
    table = _table(RunExperiment)
    query = (
        select(table.c.experiment_id, table.c.run_key, table.c.well, table.c.protocol_sha256)
        .where(table.c.experiment_id.between(*span))
        .order_by(table.c.created_at)
    )
    for experiment_id, run_key, well, sha256 in driver_rows(connection, query):
        if (facts := page.get(experiment_id)) is None:
            continue
        facts.run_key, facts.well, facts.protocol_sha256 = run_key, well, sha256


def protocol_record(session: Session, sha256: str) -> ProtocolRecord | None:
    """The stored protocol with digest ``sha256``, or ``None``."""
    return session.get(ProtocolRecord, sha256)
