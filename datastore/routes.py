"""Queries of synthesis routes: store proposals, add versions, decide, list.

Routes arrive as JSON text with a few indexed facts (:class:`RouteFacts`);
this module does not read the chemistry. A family is named by the digest of
its first version's chemistry, so proposing the same route again returns the
stored one instead of a duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from datastore.errors import DatastoreError, NotFoundError
from datastore.route_models import RouteDecision, RouteVersion

DECISIONS = ("approved", "rejected")


@dataclass(frozen=True)
class RouteFacts:
    """What is stored of one route besides its JSON."""

    target: str
    route_json: str
    route_key: str
    source: str
    step_count: int
    solved: bool


def _new_version(facts: RouteFacts, family: str, version: int, author: str) -> RouteVersion:
    return RouteVersion(
        family=family,
        version=version,
        target=facts.target,
        route_json=facts.route_json,
        route_key=facts.route_key,
        source=facts.source,
        step_count=facts.step_count,
        solved=facts.solved,
        author=author,
    )


def store_proposal(session: Session, facts: RouteFacts, author: str) -> tuple[RouteVersion, bool]:
    """Store a proposed route as version 1 of a new family, unless that family exists.

    Returns:
        The version and whether it was new.
    """
    found = session.exec(
        select(RouteVersion).where(
            RouteVersion.family == facts.route_key, RouteVersion.version == 1
        )
    ).first()
    if found is not None:
        return found, False
    row = _new_version(facts, facts.route_key, 1, author)
    session.add(row)
    session.flush()
    return row, True


def add_version(
    session: Session, parent_id: int, facts: RouteFacts, author: str, note: str
) -> RouteVersion:
    """Add an edited version after ``parent_id`` (the next number of its family).

    Raises:
        NotFoundError: No route version ``parent_id``.
    """
    parent = get_version(session, parent_id)
    latest = session.exec(
        select(func.max(RouteVersion.version)).where(RouteVersion.family == parent.family)
    ).one()
    row = _new_version(facts, parent.family, int(latest) + 1, author)
    row.parent_id = parent.id
    row.note = note
    session.add(row)
    session.flush()
    return row


def get_version(session: Session, version_id: int) -> RouteVersion:
    """The route version ``version_id``.

    Raises:
        NotFoundError: No such version.
    """
    row = session.get(RouteVersion, version_id)
    if row is None:
        raise NotFoundError(f"no route version {version_id}; 'dbtl route review' lists them")
    return row


def decision_of(session: Session, version_id: int) -> RouteDecision | None:
    """The decision on a version, if one was made."""
    return session.exec(
        select(RouteDecision)
        .where(RouteDecision.route_version_id == version_id)
        .order_by(col(RouteDecision.id).desc())
    ).first()


def decide(
    session: Session, version_id: int, decision: str, account: str, comment: str | None
) -> RouteDecision:
    """Approve or reject a version (once; an edit makes a new version to decide on).

    Raises:
        NotFoundError: No such version.
        DatastoreError: An unknown decision, or the version is already decided.
    """
    if decision not in DECISIONS:
        raise DatastoreError(f"unknown decision {decision!r}; use {', '.join(DECISIONS)}")
    get_version(session, version_id)
    earlier = decision_of(session, version_id)
    if earlier is not None:
        raise DatastoreError(
            f"route version {version_id} is already {earlier.decision} by {earlier.account}; "
            "edit it to make a new version"
        )
    row = RouteDecision(
        route_version_id=version_id, decision=decision, account=account, comment=comment
    )
    session.add(row)
    session.flush()
    return row


def list_versions(session: Session, target: str | None = None) -> list[RouteVersion]:
    """Every route version (of ``target`` if given), oldest first."""
    query = select(RouteVersion).order_by(col(RouteVersion.id))
    if target is not None:
        query = query.where(RouteVersion.target == target)
    return list(session.exec(query).all())


def status_of(session: Session, version: RouteVersion) -> str:
    """``approved``, ``rejected``, ``superseded`` (a later version exists) or ``proposed``."""
    decision = decision_of(session, version.id or 0)
    if decision is not None:
        return decision.decision
    later = session.exec(
        select(RouteVersion.id).where(
            RouteVersion.family == version.family, RouteVersion.version > version.version
        )
    ).first()
    return "superseded" if later is not None else "proposed"


def approved_versions(session: Session, target: str) -> list[RouteVersion]:
    """The approved versions of routes to ``target``, oldest first."""
    return [v for v in list_versions(session, target) if status_of(session, v) == "approved"]
