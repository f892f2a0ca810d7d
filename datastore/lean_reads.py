"""Reads of every experiment of a campaign in the least memory: the planner's training set.

At 100,000 experiments the training set is mostly the designs. Read through
the ORM, each row's design is a freshly decoded dict whose keys and values
are strings of their own, and the whole result is buffered before the first
row is used. Here the rows come from the driver cursor a page at a time,
each distinct design (stored JSON text) is decoded once, and every
experiment gets its own shallow copy of it (so callers may still change
theirs), whose keys and values are shared: equal results, a fraction of the
memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, select
from sqlmodel import Session

from datastore.models import Experiment, Measurement
from datastore.raw_rows import driver_rows
from datastore.states import ExperimentStatus

PAGE_ROWS = 20_000
"""Experiments per page of these reads."""
DESIGN_ENTRIES = 20_000
"""Distinct designs kept decoded before starting afresh (bounds memory)."""


@dataclass(frozen=True)
class ExperimentRow:
    """The columns the planner needs of one experiment, read without ORM overhead."""

    id: int
    status: ExperimentStatus
    parameters: dict[str, Any]


def experiment_rows(session: Session, campaign_id: int) -> list[ExperimentRow]:
    """Return id, status and parameters of every experiment of a campaign, in order.

    Each row has a dict of its own; equal designs share their keys and values.
    """
    table = Experiment.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    designs: dict[str, dict[str, Any]] = {}
    statuses = {s.value: s for s in ExperimentStatus}
    out: list[ExperimentRow] = []
    last = None
    while True:
        query = (
            select(table.c.number, table.c.id, table.c.status, cast(table.c.parameters, Text))
            .where(table.c.campaign_id == campaign_id)
            .order_by(table.c.number)
            .limit(PAGE_ROWS)
        )
        if last is not None:
            query = query.where(table.c.number > last)
        rows = driver_rows(connection, query)
        for _number, identity, status, text in rows:
            out.append(ExperimentRow(int(identity or 0), statuses[status], _design(designs, text)))
        if len(rows) < PAGE_ROWS:
            return out
        last = rows[-1][0]


def _design(designs: dict[str, dict[str, Any]], text: Any) -> dict[str, Any]:
    """A new dict equal to the design stored as ``text``, sharing the decoded keys and values."""
    if not isinstance(text, str):  # a driver that decodes JSON itself
        return dict(text)
    design = designs.get(text)
    if design is None:
        design = json.loads(text)
        if len(designs) >= DESIGN_ENTRIES:
            designs.clear()
        designs[text] = design
    return dict(design)


def campaign_measurements(
    session: Session, campaign_id: int, names: Iterable[str] | None = None
) -> dict[int, dict[str, float]]:
    """Return ``{experiment_id: {name: value}}`` for a campaign, optionally only ``names``.

    Measurement names are shared between experiments (one string per name).
    """
    m = Measurement.__table__  # type: ignore[attr-defined]
    e = Experiment.__table__  # type: ignore[attr-defined]
    query = (
        select(m.c.experiment_id, m.c.name, m.c.value)
        .join(e, e.c.id == m.c.experiment_id)
        .where(e.c.campaign_id == campaign_id)
    )
    if names is not None:
        query = query.where(m.c.name.in_(list(names)))
    out: dict[int, dict[str, float]] = {}
    shared: dict[str, str] = {}
    for experiment_id, name, value in driver_rows(session.connection(), query):
        name = shared.setdefault(name, name)
        out.setdefault(experiment_id, {})[name] = value
    return out
