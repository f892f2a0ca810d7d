"""Leases (exclusive use of a lab or device until expiry) and device service state.

A lease is a row keyed by the resource name. Taking one is a single
compare-and-set: insert it, or update it where it has expired or is already
ours. Holders renew their leases while they work; a holder that crashes stops
renewing, and its leases lapse after their time-to-live.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import yaml
from sqlalchemy import delete, or_, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from datastore.models import Campaign, DeviceState, Lease, utcnow


def acquire(
    session: Session, resource: str, holder: str, ttl_s: float, campaign_id: int | None = None
) -> bool:
    """Take (or extend) the lease on ``resource`` for ``holder``; return whether it is ours.

    On PostgreSQL the claim never waits for another orchestrator: a
    transaction-scoped advisory lock on the resource is *tried* (another
    orchestrator claiming the same resource right now makes this return
    ``False`` at once), and the lease row is read ``FOR UPDATE SKIP LOCKED``.
    On SQLite the database's single writer serializes claims.
    """
    if not _try_lock(session, resource):
        return False
    now = utcnow()
    lease = session.exec(
        select(Lease)
        .where(col(Lease.resource) == resource)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).first()
    expires = now + timedelta(seconds=ttl_s)
    if lease is not None:
        if lease.holder != holder and _aware(lease.expires_at) >= now:
            return False
        return _update(session, resource, holder, campaign_id, now, expires)
    return _insert(session, resource, holder, campaign_id, now, expires)


def acquire_first(
    session: Session,
    resources: Sequence[str],
    holder: str,
    ttl_s: float,
    campaign_id: int | None = None,
) -> str | None:
    """Take one more of ``resources``: the first that nobody holds (``holder`` included).

    For a pool of interchangeable devices: each call claims a different one.

    Returns:
        The resource now leased to ``holder``, or ``None`` when all are held.
    """
    mine = {lease.resource for lease in held_by(session, holder)}
    for resource in resources:
        if resource not in mine and acquire(session, resource, holder, ttl_s, campaign_id):
            return resource
    return None


def _try_lock(session: Session, resource: str) -> bool:
    """PostgreSQL: try the transaction's advisory lock on ``resource`` (SQLite: always)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    query = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:resource, 0))")
    return bool(session.execute(query, {"resource": f"dbtl-lease:{resource}"}).scalar_one())


def _update(
    session: Session,
    resource: str,
    holder: str,
    campaign_id: int | None,
    now: datetime,
    expires: datetime,
) -> bool:
    taken = session.execute(
        update(Lease)
        .where(col(Lease.resource) == resource)
        .where(or_(col(Lease.holder) == holder, col(Lease.expires_at) < now))
        .values(holder=holder, expires_at=expires, campaign_id=campaign_id, acquired_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(taken, "rowcount", 0) == 1


def _insert(
    session: Session,
    resource: str,
    holder: str,
    campaign_id: int | None,
    now: datetime,
    expires: datetime,
) -> bool:
    try:
        with session.begin_nested():
            session.add(
                Lease(
                    resource=resource,
                    holder=holder,
                    campaign_id=campaign_id,
                    acquired_at=now,
                    expires_at=expires,
                )
            )
    except IntegrityError:  # another holder inserted it first
        return False
    return True


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def take_over(session: Session, resource: str, old_holder: str, holder: str, ttl_s: float) -> bool:
    """Move a lease from ``old_holder`` (known to be dead) to ``holder``; compare-and-set."""
    now = utcnow()
    result = session.execute(
        update(Lease)
        .where(col(Lease.resource) == resource)
        .where(col(Lease.holder) == old_holder)
        .values(holder=holder, acquired_at=now, expires_at=now + timedelta(seconds=ttl_s))
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def renew(session: Session, resources: Iterable[str], holder: str, ttl_s: float) -> list[str]:
    """Extend ``holder``'s leases; return the resources it no longer holds (lost leases)."""
    lost = []
    expires = utcnow() + timedelta(seconds=ttl_s)
    for resource in resources:
        result = session.execute(
            update(Lease)
            .where(col(Lease.resource) == resource)
            .where(col(Lease.holder) == holder)
            .values(expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) != 1:
            lost.append(resource)
    return lost


def release(session: Session, resources: Iterable[str], holder: str) -> None:
    """Give up ``holder``'s leases on ``resources`` (others' leases are untouched)."""
    session.execute(
        delete(Lease)
        .where(col(Lease.resource).in_(list(resources)))
        .where(col(Lease.holder) == holder)
        .execution_options(synchronize_session=False)
    )


def current(session: Session, resource: str) -> Lease | None:
    """Return the unexpired lease on ``resource``, if any."""
    lease = session.get(Lease, resource)
    if lease is None or lease.expires_at <= utcnow():
        return None
    return lease


def held_by(session: Session, holder: str) -> list[Lease]:
    """Return every lease of ``holder``."""
    return list(session.exec(select(Lease).where(Lease.holder == holder)))


# ------------------------------------------------------------------ devices


def device_state(session: Session, lab: str, device: str) -> DeviceState:
    """Return (creating it in service if new) the state of one device."""
    state = session.exec(
        select(DeviceState).where(DeviceState.lab_name == lab).where(DeviceState.device == device)
    ).first()
    if state is None:
        state = DeviceState(lab_name=lab, device=device)
        session.add(state)
        session.flush()
    return state


def record_device_outcome(
    session: Session, lab: str, device: str, ok: bool, note: str | None = None
) -> DeviceState:
    """Count a success (resets the streak) or a failure of one device."""
    state = device_state(session, lab, device)
    state.consecutive_failures = 0 if ok else state.consecutive_failures + 1
    if not ok:
        state.note = note
    state.updated_at = utcnow()
    session.add(state)
    return state


def set_in_service(
    session: Session, lab: str, device: str, in_service: bool, note: str | None = None
) -> DeviceState:
    """Put a device in or out of service."""
    state = device_state(session, lab, device)
    state.in_service = in_service
    state.note = note
    if in_service:
        state.consecutive_failures = 0
    state.updated_at = utcnow()
    session.add(state)
    return state


def out_of_service(session: Session, lab: str) -> dict[str, str | None]:
    """Return the lab's devices that are out of service, with the note why."""
    rows = session.exec(
        select(DeviceState)
        .where(DeviceState.lab_name == lab)
        .where(col(DeviceState.in_service).is_(False))
    )
    return {row.device: row.note for row in rows}


def known_devices(session: Session) -> dict[str, set[str]]:
    """Every lab this database knows, with its devices.

    From the lab files stored with its campaigns and from the device states
    recorded so far.
    """
    known: dict[str, set[str]] = {}
    for name, lab_yaml in session.exec(select(Campaign.lab_name, Campaign.lab_yaml)):
        if name is None:
            continue
        devices = known.setdefault(name, set())
        try:
            stored = yaml.safe_load(lab_yaml or "") or {}
            devices.update(str(d["name"]) for d in stored.get("devices", []) if "name" in d)
        except (yaml.YAMLError, AttributeError, TypeError):  # an unreadable stored lab file
            continue
    for lab, device in session.exec(select(DeviceState.lab_name, DeviceState.device)):
        known.setdefault(lab, set()).add(device)
    return known
