"""Bulk writes of a large synthetic campaign, for scale benchmarks of a shared lab.

Rows go in with executemany in chunks, in the same shape the run path writes
them (experiments, two measurements each, the six transition events of a
completed experiment plus extra audit events up to the asked-for count), so
reads and exports are measured on realistic data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from datastore.engine import Datastore
from datastore.models import Campaign, Event, Experiment, Measurement, utcnow
from datastore.states import ExperimentStatus

CHUNK_ROWS = 20_000
LIFE = ("proposed", "awaiting_approval", "approved", "queued", "running", "completed")
Design = Callable[[random.Random], Mapping[str, Any]]


def seed_campaign(
    store: Datastore,
    campaign_id: int,
    design: Design,
    n_experiments: int,
    n_events: int,
    *,
    awaiting: int = 24,
    seed: int = 0,
) -> int:
    """Add ``n_experiments`` (the last ``awaiting`` awaiting approval) to a stored campaign.

    Returns:
        The number of events written.
    """
    rng = random.Random(seed)
    per_experiment = max(len(LIFE), n_events // max(n_experiments, 1))
    start = utcnow() - timedelta(days=30)
    experiments, measurements, events = [], [], []
    for number in range(1, n_experiments + 1):
        done = number <= n_experiments - awaiting
        status = ExperimentStatus.COMPLETED if done else ExperimentStatus.AWAITING_APPROVAL
        at = start + timedelta(seconds=number)
        experiments.append(_experiment(campaign_id, number, status, design(rng), at, rng))
        if done:
            measurements += [
                {"experiment_id": number, "name": "yield_pct", "value": rng.uniform(0, 100),
                 "unit": "%", "created_at": at},
                {"experiment_id": number, "name": "volume_ul", "value": 150.0,
                 "unit": "µL", "created_at": at},
            ]  # fmt: skip
        events += _events(campaign_id, number, done, per_experiment, at)
    _insert_all(store, campaign_id, experiments, measurements, events)
    return len(events)


def _experiment(
    campaign_id: int,
    number: int,
    status: ExperimentStatus,
    parameters: Mapping[str, Any],
    at: Any,
    rng: random.Random,
) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id,
        "number": number,
        "cycle": 1 + (number - 1) // 24,
        "status": status.value,
        "parameters": dict(parameters),
        "predicted": {"yield_pct": {"mean": rng.uniform(0, 100), "sd": rng.uniform(1, 10)}},
        "attempt": 1,
        "created_at": at,
        "updated_at": at,
    }


def _events(campaign_id: int, number: int, done: bool, count: int, at: Any) -> list[dict[str, Any]]:
    life = LIFE if done else LIFE[:2]
    rows = []
    for i, status in enumerate(life):
        rows.append(
            {"campaign_id": campaign_id, "experiment_id": number, "kind": "transition",
             "from_status": life[i - 1] if i else None, "to_status": status,
             "actor": "bench", "payload": {"cycle": 1 + (number - 1) // 24}, "created_at": at}
        )  # fmt: skip
    for _ in range(count - len(life)):
        rows.append(
            {"campaign_id": campaign_id, "experiment_id": number, "kind": "note",
             "from_status": None, "to_status": None, "actor": "bench",
             "payload": {"note": "device heartbeat"}, "created_at": at}
        )  # fmt: skip
    return rows


def _insert_all(
    store: Datastore,
    campaign_id: int,
    experiments: list[dict[str, Any]],
    measurements: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> None:
    """Insert experiments, then map numbers to ids for measurements and events."""
    for chunk in _chunks(experiments):
        with store.engine.begin() as connection:
            connection.execute(insert(Experiment), chunk)
    with store.engine.connect() as connection:
        rows = connection.execute(
            Experiment.__table__.select()  # type: ignore[attr-defined]
            .with_only_columns(Experiment.__table__.c.number, Experiment.__table__.c.id)  # type: ignore[attr-defined]
            .where(Experiment.__table__.c.campaign_id == campaign_id)  # type: ignore[attr-defined]
        )
        ids = {number: experiment_id for number, experiment_id in rows}
    for table, rows_ in ((Measurement, measurements), (Event, events)):
        for row in rows_:
            row["experiment_id"] = ids[row["experiment_id"]]
        for chunk in _chunks(rows_):
            with store.engine.begin() as connection:
                connection.execute(insert(table), chunk)


def _chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + CHUNK_ROWS] for i in range(0, len(rows), CHUNK_ROWS)]


def seeded_scale(store: Datastore, campaign_name: str) -> tuple[int, int] | None:
    """(experiments, their events) of the stored campaign ``campaign_name``; ``None`` if absent.

    Events of the campaign itself (not of an experiment) are not counted, so a
    campaign seeded by :func:`seed_campaign` counts what it was asked for.
    """
    campaigns, experiments, events = (
        Campaign.__table__,  # type: ignore[attr-defined]
        Experiment.__table__,  # type: ignore[attr-defined]
        Event.__table__,  # type: ignore[attr-defined]
    )
    with store.engine.connect() as connection:
        found = connection.execute(
            select(campaigns.c.id).where(campaigns.c.name == campaign_name)
        ).first()
        if found is None:
            return None
        counts = [
            connection.execute(
                select(func.count()).select_from(table).where(condition)
            ).scalar_one()
            for table, condition in (
                (experiments, experiments.c.campaign_id == found[0]),
                (events, (events.c.campaign_id == found[0]) & events.c.experiment_id.isnot(None)),
            )
        ]
    return int(counts[0]), int(counts[1])


def refresh_statistics(store: Datastore) -> None:
    """Have PostgreSQL gather the planner's statistics after a bulk load (``ANALYZE``).

    A server with autovacuum on does this by itself soon after a load; one
    with it off (as the test server runs) would otherwise plan every query of
    a freshly seeded campaign from empty statistics. SQLite keeps none to refresh.
    """
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
