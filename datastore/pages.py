"""Pages of lists for the REST API and the pages: experiments by offset, events by cursor.

Each page is one query on an indexed column plus one for its measurements, so a
page costs the same at any campaign size. Counts use ``COUNT(*)`` in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from datastore.models import DeviceState, Event, Experiment, Measurement
from datastore.states import ExperimentStatus


def experiment_page(
    session: Session,
    campaign_id: int,
    statuses: Sequence[ExperimentStatus] | None,
    limit: int,
    offset: int,
) -> tuple[list[Experiment], int]:
    """One page of a campaign's experiments in number order, and how many match in all."""
    where = [col(Experiment.campaign_id) == campaign_id]
    if statuses:
        where.append(col(Experiment.status).in_([s.value for s in statuses]))
    total = session.exec(select(func.count()).select_from(Experiment).where(*where)).one()
    rows = session.exec(
        select(Experiment)
        .where(*where)
        .order_by(col(Experiment.number))
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


def measurements_of(session: Session, experiment_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """Measured values of the given experiments, by experiment id."""
    out: dict[int, dict[str, float]] = {i: {} for i in experiment_ids}
    if not experiment_ids:
        return out
    rows = session.exec(
        select(Measurement).where(col(Measurement.experiment_id).in_(list(experiment_ids)))
    )
    for m in rows:
        out[m.experiment_id][m.name] = m.value
    return out


def event_page(session: Session, campaign_id: int | None, after: int, limit: int) -> list[Event]:
    """Events with an id above ``after`` (of one campaign, or all), oldest first."""
    query = select(Event).where(col(Event.id) > after)
    if campaign_id is not None:
        query = query.where(col(Event.campaign_id) == campaign_id)
    return list(session.exec(query.order_by(col(Event.id)).limit(limit)))


def last_campaign_event_id(session: Session, campaign_id: int) -> int:
    """The id of the campaign's newest event (0 when there is none): changes with any change."""
    query = select(func.max(Event.id)).where(col(Event.campaign_id) == campaign_id)
    return int(session.exec(query).one() or 0)


def last_event_id(session: Session) -> int:
    """The id of the newest event (0 when there is none)."""
    return int(session.exec(select(func.max(Event.id))).one() or 0)


def device_states(session: Session, lab: str) -> dict[str, DeviceState]:
    """The stored state of each device of ``lab`` that has one (read only: none is created)."""
    rows = session.exec(select(DeviceState).where(DeviceState.lab_name == lab))
    return {row.device: row for row in rows}


def recent_events(
    session: Session, campaign_id: int, limit: int, before: int | None = None
) -> list[Event]:
    """The campaign's newest ``limit`` events (below id ``before`` if given), newest first."""
    query = select(Event).where(col(Event.campaign_id) == campaign_id)
    if before is not None:
        query = query.where(col(Event.id) < before)
    return list(session.exec(query.order_by(col(Event.id).desc()).limit(limit)))


def newest_experiment_page(
    session: Session, campaign_id: int, limit: int, offset: int
) -> tuple[list[Experiment], int]:
    """One page of a campaign's experiments, newest first, and how many it has in all."""
    where = col(Experiment.campaign_id) == campaign_id
    total = session.exec(select(func.count()).select_from(Experiment).where(where)).one()
    rows = session.exec(
        select(Experiment)
        .where(where)
        .order_by(col(Experiment.number).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


def completed_sample_numbers(session: Session, campaign_id: int, every: int) -> list[int]:
    """Numbers of every ``every``-th completed experiment (by number), ascending.

    A deterministic, evenly spread sample for plots of large campaigns: the
    experiments whose number is a multiple of ``every``.
    """
    query = (
        select(Experiment.number)
        .where(col(Experiment.campaign_id) == campaign_id)
        .where(Experiment.status == "completed")
        .order_by(col(Experiment.number))
    )
    if every > 1:
        query = query.where(col(Experiment.number) % every == 0)
    return [int(n) for n in session.exec(query)]


def experiments_in_status(
    session: Session, statuses: Sequence[ExperimentStatus], limit: int, offset: int
) -> tuple[list[Experiment], int]:
    """One page of every campaign's experiments in ``statuses``, and how many there are in all.

    Ordered by campaign (oldest first), then by number.
    """
    where = col(Experiment.status).in_([s.value for s in statuses])
    total = session.exec(select(func.count()).select_from(Experiment).where(where)).one()
    rows = session.exec(
        select(Experiment)
        .where(where)
        .order_by(col(Experiment.campaign_id), col(Experiment.number))
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)
