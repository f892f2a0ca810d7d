"""Aggregates of a campaign computed in the database (no rows shipped to Python).

For views of large campaigns: counts per status and the best value of each
objective are one ``GROUP BY`` / ``MAX`` each on indexed columns.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func
from sqlmodel import Session, col, select

from datastore.models import Experiment, Measurement


def status_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """Number of the campaign's experiments per status."""
    rows = session.exec(
        select(Experiment.status, func.count())
        .where(Experiment.campaign_id == campaign_id)
        .group_by(col(Experiment.status))
    )
    return {status: int(count) for status, count in rows}


def best_values(session: Session, campaign_id: int, signs: Mapping[str, float]) -> dict[str, float]:
    """Best measured value of each objective (``signs``: +1 maximize, -1 minimize)."""
    best: dict[str, float] = {}
    for name, sign in signs.items():
        pick = func.max if sign > 0 else func.min
        value = session.exec(
            select(pick(Measurement.value))
            .join(Experiment, col(Experiment.id) == Measurement.experiment_id)
            .where(Experiment.campaign_id == campaign_id)
            .where(Measurement.name == name)
        ).one()
        if value is not None:
            best[name] = float(value)
    return best
