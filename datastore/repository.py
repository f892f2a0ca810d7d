"""Writes and reads of campaigns and experiments.

Every function takes an open session (from :meth:`Datastore.session`) so that
the caller decides the transaction. Every status change is written together
with its event; a status change is a compare-and-set on the stored status, so
two processes can never both move the same experiment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from datastore.errors import DatastoreError, IllegalTransitionError, NotFoundError
from datastore.lean_reads import ExperimentRow as ExperimentRow
from datastore.lean_reads import campaign_measurements as campaign_measurements
from datastore.lean_reads import experiment_rows as experiment_rows
from datastore.models import Campaign, Event, Experiment, Measurement, ModelSnapshot, utcnow
from datastore.states import ExperimentStatus, check_transition


@dataclass(frozen=True)
class NewExperiment:
    """A proposal to store: its parameters and, if the planner gave them, predictions."""

    parameters: Mapping[str, Any]
    predicted: Mapping[str, Any] | None = None
    attempt: int = 1
    retry_of: int | None = None


@dataclass(frozen=True)
class NewSnapshot:
    """What the planner reported for one cycle."""

    strategy: str
    n_train: int
    suggest_seconds: float
    diagnostics: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MeasuredValue:
    """One quantity measured (or derived) for an experiment."""

    name: str
    value: float
    unit: str | None = None


# ---------------------------------------------------------------- campaigns


def create_campaign(session: Session, campaign: Campaign, *, actor: str) -> Campaign:
    """Store a new campaign and its ``campaign_created`` event.

    Raises:
        DatastoreError: A campaign of that name already exists.
    """
    if find_campaign(session, campaign.name) is not None:
        raise DatastoreError(f"a campaign named {campaign.name!r} already exists")
    session.add(campaign)
    session.flush()
    append_event(
        session,
        _id(campaign),
        "campaign_created",
        actor=actor,
        payload={"strategy": campaign.strategy, "budget": campaign.budget},
    )
    return campaign


def find_campaign(session: Session, name: str) -> Campaign | None:
    """Return the campaign called ``name``, or ``None``."""
    return session.exec(select(Campaign).where(Campaign.name == name)).first()


def get_campaign(session: Session, name: str) -> Campaign:
    """Return the campaign called ``name``.

    Raises:
        NotFoundError: No such campaign; the message lists the stored ones.
    """
    campaign = find_campaign(session, name)
    if campaign is None:
        names = [c.name for c in list_campaigns(session)]
        known = ", ".join(names[:10]) if names else "none"
        if len(names) > 10:
            known += f" and {len(names) - 10} more: `dbtl show` lists them"
        raise NotFoundError(f"no campaign named {name!r} in this database (stored: {known})")
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    """Return every campaign, oldest first."""
    return list(session.exec(select(Campaign).order_by(col(Campaign.id))))


def set_campaign_budget(session: Session, campaign: Campaign, budget: int, actor: str) -> None:
    """Change the campaign's budget, with a ``budget_changed`` event saying from what to what."""
    append_event(
        session,
        campaign.id or 0,
        "budget_changed",
        actor=actor,
        payload={"from": campaign.budget, "to": budget},
    )
    campaign.budget = budget
    session.add(campaign)


def set_campaign_status(
    session: Session,
    campaign: Campaign,
    status: str,
    *,
    actor: str,
    reason: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Change a campaign's status, with a ``campaign_status`` event (``extra`` in its payload)."""
    previous = campaign.status
    campaign.status = status
    campaign.updated_at = utcnow()
    session.add(campaign)
    append_event(
        session,
        _id(campaign),
        "campaign_status",
        actor=actor,
        payload={**(extra or {}), "from": previous, "to": status, "reason": reason},
    )


# -------------------------------------------------------------- experiments


def list_experiments(
    session: Session, campaign_id: int, statuses: Iterable[ExperimentStatus] | None = None
) -> list[Experiment]:
    """Return a campaign's experiments in order, optionally only those in ``statuses``."""
    query = select(Experiment).where(Experiment.campaign_id == campaign_id)
    if statuses is not None:
        query = query.where(col(Experiment.status).in_([s.value for s in statuses]))
    return list(session.exec(query.order_by(col(Experiment.number))))


def count_experiments(
    session: Session, campaign_id: int, statuses: Iterable[ExperimentStatus]
) -> int:
    """Count a campaign's experiments whose status is in ``statuses``."""
    query = (
        select(func.count())
        .select_from(Experiment)
        .where(Experiment.campaign_id == campaign_id)
        .where(col(Experiment.status).in_([s.value for s in statuses]))
    )
    return int(session.exec(query).one())


def last_cycle(session: Session, campaign_id: int) -> int:
    """Return the highest cycle number of a campaign (0 before the first cycle)."""
    query = select(func.max(Experiment.cycle)).where(Experiment.campaign_id == campaign_id)
    return int(session.exec(query).one() or 0)


def get_experiment(session: Session, experiment_id: int) -> Experiment:
    """Return one experiment by id.

    Raises:
        NotFoundError: No experiment has that id.
    """
    experiment = session.get(Experiment, experiment_id)
    if experiment is None:
        raise NotFoundError(f"no experiment with id {experiment_id}")
    return experiment


def add_proposals(
    session: Session,
    campaign: Campaign,
    cycle: int,
    proposals: Sequence[NewExperiment],
    snapshot: NewSnapshot | None,
    *,
    actor: str,
) -> list[Experiment]:
    """Store one cycle's proposals (status ``proposed``) and its model snapshot (if any).

    Retries of failed experiments are stored without a snapshot: no model was fitted.

    Returns:
        The stored experiments, numbered after the campaign's last one.
    """
    campaign_id = _id(campaign)
    last = session.exec(
        select(func.max(Experiment.number)).where(Experiment.campaign_id == campaign_id)
    ).one()
    stored = []
    for offset, proposal in enumerate(proposals, start=1):
        experiment = Experiment(
            campaign_id=campaign_id,
            number=(last or 0) + offset,
            cycle=cycle,
            status=ExperimentStatus.PROPOSED.value,
            parameters=dict(proposal.parameters),
            predicted=dict(proposal.predicted) if proposal.predicted else None,
            attempt=proposal.attempt,
            retry_of=proposal.retry_of,
        )
        session.add(experiment)
        stored.append(experiment)
    if snapshot is not None:
        session.add(
            ModelSnapshot(
                campaign_id=campaign_id,
                cycle=cycle,
                strategy=snapshot.strategy,
                n_train=snapshot.n_train,
                suggest_seconds=snapshot.suggest_seconds,
                diagnostics=dict(snapshot.diagnostics),
            )
        )
    session.flush()
    for experiment in stored:
        append_event(
            session,
            campaign_id,
            "transition",
            actor=actor,
            experiment_id=experiment.id,
            to_status=ExperimentStatus.PROPOSED,
            payload={"parameters": experiment.parameters, "cycle": cycle},
        )
    return stored


def transition(
    session: Session,
    experiment_id: int,
    target: ExperimentStatus,
    *,
    actor: str,
    error: str | None = None,
    payload: Mapping[str, Any] | None = None,
) -> ExperimentStatus:
    """Move one experiment to ``target`` and append the event, atomically.

    The update is a compare-and-set on the status read here, so a concurrent
    writer that moved the experiment first makes this call fail instead of
    silently overwriting its transition.

    Returns:
        The status the experiment moved from.

    Raises:
        NotFoundError: No experiment has that id.
        IllegalTransitionError: The state machine forbids the move, or another
            process changed the experiment meanwhile. Nothing is written.
    """
    row = session.execute(
        select(Experiment.status, Experiment.campaign_id).where(col(Experiment.id) == experiment_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no experiment with id {experiment_id}")
    current, campaign_id = ExperimentStatus(row[0]), int(row[1])
    check_transition(current, target)
    values: dict[str, Any] = {"status": target.value, "updated_at": utcnow()}
    if error is not None:
        values["error"] = error
    result = session.execute(
        update(Experiment)
        .where(col(Experiment.id) == experiment_id)
        .where(col(Experiment.status) == current.value)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 1) != 1:
        raise IllegalTransitionError(
            f"experiment {experiment_id} changed while moving it from {current.value!r} to "
            f"{target.value!r}; another process is working on it"
        )
    details = {**(payload or {}), **({"error": error} if error else {})}
    append_event(
        session,
        campaign_id,
        "transition",
        actor=actor,
        experiment_id=experiment_id,
        from_status=current,
        to_status=target,
        payload=details,
    )
    return current


def record_result(
    session: Session,
    experiment_id: int,
    measurements: Sequence[MeasuredValue],
    *,
    actor: str,
    target: ExperimentStatus = ExperimentStatus.COMPLETED,
) -> None:
    """Store an experiment's measurements and move it to ``target`` in one transaction.

    Raises:
        IllegalTransitionError: The experiment is not in a state that may complete.
    """
    transition(
        session,
        experiment_id,
        target,
        actor=actor,
        payload={"measurements": {m.name: m.value for m in measurements}},
    )
    for measured in measurements:
        session.add(
            Measurement(
                experiment_id=experiment_id,
                name=measured.name,
                value=float(measured.value),
                unit=measured.unit,
            )
        )


def update_parameters(
    session: Session,
    experiment_id: int,
    parameters: Mapping[str, Any],
    *,
    actor: str,
    comment: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Experiment:
    """Replace an experiment's parameters before it runs, recording before and after.

    ``extra`` is added to the event's payload (where the edit came from).

    Raises:
        IllegalTransitionError: The experiment is no longer awaiting approval.
    """
    experiment = get_experiment(session, experiment_id)
    if experiment.status != ExperimentStatus.AWAITING_APPROVAL.value:
        raise IllegalTransitionError(
            f"experiment {experiment_id} is {experiment.status!r}; only experiments "
            "awaiting approval can be edited"
        )
    before = dict(experiment.parameters)
    experiment.parameters = dict(parameters)
    experiment.updated_at = utcnow()
    session.add(experiment)
    append_event(
        session,
        experiment.campaign_id,
        "edited",
        actor=actor,
        experiment_id=experiment_id,
        payload={
            **(extra or {}),
            "before": before,
            "after": dict(parameters),
            "comment": comment,
        },
    )
    return experiment


def units_of_measurements(session: Session, campaign_id: int) -> dict[str, str | None]:
    """Return the unit of every measurement name used in a campaign."""
    rows = session.exec(
        select(Measurement.name, Measurement.unit)
        .join(Experiment, col(Experiment.id) == Measurement.experiment_id)
        .where(Experiment.campaign_id == campaign_id)
        .distinct()
    )
    return {name: unit for name, unit in rows}


# ------------------------------------------------------------------ events


def has_event(session: Session, experiment_id: int, kind: str) -> bool:
    """Whether an event of ``kind`` was written for the experiment."""
    query = select(Event.id).where(Event.experiment_id == experiment_id).where(Event.kind == kind)
    return session.exec(query).first() is not None


def approvers(session: Session, experiment_id: int) -> list[str]:
    """Actors who moved the experiment to ``approved``, oldest first."""
    query = (
        select(Event.actor)
        .where(Event.experiment_id == experiment_id)
        .where(Event.to_status == ExperimentStatus.APPROVED.value)
        .order_by(col(Event.id))
    )
    return list(session.exec(query))


def append_event(
    session: Session,
    campaign_id: int,
    kind: str,
    *,
    actor: str,
    experiment_id: int | None = None,
    from_status: ExperimentStatus | None = None,
    to_status: ExperimentStatus | None = None,
    payload: Mapping[str, Any] | None = None,
) -> Event:
    """Append one event to the log."""
    event = Event(
        campaign_id=campaign_id,
        experiment_id=experiment_id,
        kind=kind,
        actor=actor,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        payload=dict(payload or {}),
    )
    session.add(event)
    return event


def list_events(session: Session, campaign_id: int) -> list[Event]:
    """Return a campaign's events in the order they were written."""
    return list(
        session.exec(select(Event).where(Event.campaign_id == campaign_id).order_by(col(Event.id)))
    )


def last_event_of_kind(session: Session, campaign_id: int, kind: str) -> Event | None:
    """The campaign's latest event of ``kind``, or ``None``."""
    query = (
        select(Event)
        .where(Event.campaign_id == campaign_id)
        .where(Event.kind == kind)
        .order_by(col(Event.id).desc())
    )
    return session.exec(query).first()


def count_marked(session: Session, campaign_id: int, status: ExperimentStatus, kind: str) -> int:
    """Count a campaign's experiments in ``status`` that carry an event of ``kind``."""
    marked = select(Event.experiment_id).where(Event.kind == kind)
    marked = marked.where(Event.campaign_id == campaign_id)
    query = (
        select(func.count())
        .select_from(Experiment)
        .where(Experiment.campaign_id == campaign_id)
        .where(Experiment.status == status.value)
        .where(col(Experiment.id).in_(marked))
    )
    return int(session.exec(query).one())


def list_snapshots(session: Session, campaign_id: int) -> list[ModelSnapshot]:
    """Return a campaign's model snapshots, one per cycle, in cycle order."""
    return list(
        session.exec(
            select(ModelSnapshot)
            .where(ModelSnapshot.campaign_id == campaign_id)
            .order_by(col(ModelSnapshot.cycle))
        )
    )


def _id(row: Campaign | Experiment) -> int:
    if row.id is None:
        raise DatastoreError("row has no id yet: flush the session first")
    return row.id
