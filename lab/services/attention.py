"""Experiments flagged ``needs_attention`` after a crash, and settling them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast, get_args

from datastore import Datastore, ExperimentStatus, pages
from datastore import repository as repo
from datastore.models import Experiment
from lab.review.attention import Outcome, parse_values, resolve
from lab.review.decisions import ReviewError
from lab.services.actor import Actor
from lab.services.experiments import ExperimentPage

__all__ = ["OUTCOMES", "Outcome", "flagged", "flagged_page", "parse_values", "settle"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)


def flagged(store: Datastore) -> list[tuple[str, Experiment]]:
    """Every experiment that needs a person, with its campaign's name, campaign by campaign."""
    with store.session() as session:
        out: list[tuple[str, Experiment]] = []
        for c in repo.list_campaigns(session):
            rows = repo.list_experiments(session, c.id or 0, [ExperimentStatus.NEEDS_ATTENTION])
            out += [(c.name, e) for e in rows]
        return out


def flagged_page(store: Datastore, limit: int, offset: int = 0) -> ExperimentPage:
    """One page of :func:`flagged` (same order), with measured values and the total count.

    Args:
        store: The datastore.
        limit: Most rows in the page.
        offset: Rows to skip.
    """
    with store.session() as session:
        names = {c.id: c.name for c in repo.list_campaigns(session)}
        flagged_rows, total = pages.experiments_in_status(
            session, [ExperimentStatus.NEEDS_ATTENTION], limit, offset
        )
        results = pages.measurements_of(session, [e.id or 0 for e in flagged_rows])
    rows = [(names.get(e.campaign_id, ""), e) for e in flagged_rows]
    return ExperimentPage(rows, results, total)


def settle(
    store: Datastore,
    actor: Actor,
    experiment_id: int,
    outcome: str,
    values: Mapping[str, float],
    note: str,
) -> Experiment:
    """Record how an experiment that needs attention really ended; it is never re-run.

    Args:
        store: The datastore.
        actor: Who settles it, and from where.
        experiment_id: The flagged experiment.
        outcome: ``completed`` (with ``values``), ``failed`` or ``abandoned``.
        values: The measured values (``completed`` only), by name.
        note: How the actor knows (kept in the audit trail).

    Raises:
        ReviewError: Unknown outcome, not flagged, no note, or missing or
            unknown values; nothing is changed.
    """
    if outcome not in OUTCOMES:
        raise ReviewError(f"outcome {outcome!r}: choose {', '.join(OUTCOMES)}")
    return resolve(
        store,
        actor.name,
        experiment_id,
        cast(Outcome, outcome),  # checked above
        values,
        note,
        actor.audit(),
    )
