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


def cycle_bests(
    session: Session, campaign_id: int, name: str, sign: float
) -> list[tuple[int, int, float]]:
    """Per cycle with completed results: ``(cycle, completed, best value of name)``.

    ``completed`` counts the cycle's completed experiments that measured
    ``name``; cycles are in ascending order. One ``GROUP BY`` in the database.
    """
    pick = func.max if sign > 0 else func.min
    rows = session.exec(
        select(Experiment.cycle, func.count(), pick(Measurement.value))
        .join(Experiment, col(Experiment.id) == Measurement.experiment_id)
        .where(Experiment.campaign_id == campaign_id)
        .where(Experiment.status == "completed")
        .where(Measurement.name == name)
        .group_by(col(Experiment.cycle))
        .order_by(col(Experiment.cycle))
    )
    return [(int(cycle), int(count), float(best)) for cycle, count, best in rows]


def best_experiment_number(
    session: Session, campaign_id: int, name: str, sign: float
) -> int | None:
    """Number of the completed experiment with the best ``name`` (earliest on ties)."""
    order = col(Measurement.value).desc() if sign > 0 else col(Measurement.value).asc()
    return session.exec(
        select(Experiment.number)
        .join(Measurement, col(Experiment.id) == Measurement.experiment_id)
        .where(Experiment.campaign_id == campaign_id)
        .where(Experiment.status == "completed")
        .where(Measurement.name == name)
        .order_by(order, col(Experiment.number))
        .limit(1)
    ).first()


def completed_values(
    session: Session, campaign_id: int, names: list[str]
) -> dict[int, dict[str, float]]:
    """``{experiment number: {name: value}}`` of completed experiments, for ``names`` only."""
    rows = session.exec(
        select(Experiment.number, Measurement.name, Measurement.value)
        .join(Measurement, col(Experiment.id) == Measurement.experiment_id)
        .where(Experiment.campaign_id == campaign_id)
        .where(Experiment.status == "completed")
        .where(col(Measurement.name).in_(names))
    )
    values: dict[int, dict[str, float]] = {}
    for number, name, value in rows:
        values.setdefault(int(number), {})[name] = float(value)
    return values


def last_numbers(session: Session, campaign_id: int, count: int) -> list[int]:
    """Numbers of the campaign's last ``count`` experiments, ascending."""
    rows = session.exec(
        select(Experiment.number)
        .where(Experiment.campaign_id == campaign_id)
        .order_by(col(Experiment.number).desc())
        .limit(count)
    )
    return sorted(int(n) for n in rows)
