"""The approval gate: proposals awaiting approval, approve (with edits), reject, batch approve.

Every decision is one transaction (all the proposals named, or none) and
records the actor's name and source; an edit is checked against the
campaign's bounds and the lab's safety limits first (see :mod:`lab.review.decisions`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from datastore import Datastore, pages
from datastore import repository as repo
from datastore.models import Experiment
from lab.review.decisions import ProposalView, Reviewer, ReviewError
from lab.review.overview import spec_or_none
from lab.services.actor import Actor
from lab.specs.campaign import CampaignSpec

READER = "reviewer"
"""Name under which the queue is read (reading records nothing)."""


def list_proposals(store: Datastore, campaign: str | None = None) -> list[ProposalView]:
    """Proposals awaiting approval, oldest first, of one campaign or of every open one.

    Each carries its prediction ± sd, why it was chosen, its safety flags, its
    protocol's steps and the pre-flight verdict.

    Raises:
        NotFoundError: ``campaign`` is not stored.
    """
    return Reviewer(store, READER).pending(campaign)


@dataclass(frozen=True)
class PendingPage:
    """One page of the approval queue, with what a reviewer's screen shows beside each proposal.

    Attributes:
        views: The page's proposals (see :func:`list_proposals`), oldest first.
        total: How many proposals await approval in all.
        specs: The campaign spec of each campaign in the page (``None`` if unreadable).
        results: Measured values of the page's experiments, by experiment id.
    """

    views: list[ProposalView]
    total: int
    specs: dict[str, CampaignSpec | None]
    results: dict[int, dict[str, float]]


def pending_page(
    store: Datastore, campaign: str | None, limit: int, offset: int = 0
) -> PendingPage:
    """One page of :func:`list_proposals`; only the page's proposals are built and pre-flighted.

    Raises:
        NotFoundError: ``campaign`` is not stored.
    """
    views, total = Reviewer(store, READER).pending_page(campaign, limit, offset)
    with store.session() as session:
        names = {v.campaign for v in views}
        specs = {name: spec_or_none(repo.get_campaign(session, name)) for name in names}
        results = pages.measurements_of(session, [v.experiment.id or 0 for v in views])
    return PendingPage(views, total, specs, results)


def approve(
    store: Datastore,
    actor: Actor,
    experiment_ids: Sequence[int],
    edits: Mapping[str, str] | None = None,
    comment: str | None = None,
) -> list[Experiment]:
    """Approve proposals, all or none; ``edits`` (one proposal only) are applied first.

    Args:
        store: The datastore.
        actor: Who approves, and from where.
        experiment_ids: The proposals.
        edits: New values by parameter name, as text (``{"temperature_c": "80"}``).
        comment: Kept with the approval.

    Raises:
        ReviewError: Unknown experiment, already decided, edits to several
            proposals, or an edit outside the bounds or the lab's limits
            (:class:`~lab.review.decisions.EditRefusedError` names the field); nothing changes.
    """
    reviewer = Reviewer(store, actor.name, actor.audit())
    return reviewer.approve(experiment_ids, edits, comment)


def reject(
    store: Datastore, actor: Actor, experiment_ids: Sequence[int], reason: str
) -> list[Experiment]:
    """Reject proposals for ``reason``, all or none; the planner will not propose them again.

    Raises:
        ReviewError: No reason, or a proposal cannot be decided; nothing changes.
    """
    return Reviewer(store, actor.name, actor.audit()).reject(experiment_ids, reason)


def select(store: Datastore, campaign: str | None, cycle: int | None) -> list[int]:
    """Ids of the proposals awaiting approval, optionally of one campaign and cycle.

    Raises:
        ReviewError: Nothing matches.
    """
    return Reviewer(store, READER).select(campaign, cycle)


def choose(
    store: Datastore,
    ids: Sequence[int] | None,
    every: bool,
    campaign: str | None = None,
    cycle: int | None = None,
) -> list[int]:
    """The ids named, or (``every``) each matching proposal awaiting approval.

    Raises:
        ReviewError: Both or neither of ids and ``every``, or nothing matches.
    """
    if ids and every:
        raise ReviewError("give experiment ids or --all, not both")
    if every:
        return select(store, campaign, cycle)
    if not ids:
        raise ReviewError("give at least one experiment id, or --all (see `dbtl review`)")
    return list(ids)


def approve_cycle(
    store: Datastore, actor: Actor, campaign: str, cycle: int, comment: str | None = None
) -> list[Experiment]:
    """Approve every proposal of one cycle of a campaign, all or none.

    Raises:
        ReviewError: No proposal of that cycle awaits approval, or one cannot be decided.
    """
    return approve(store, actor, select(store, campaign, cycle), None, comment)
