"""The next batch: planned with the very call the loop makes (:func:`lab.running.learn.propose`).

A preview (``dbtl protocol compile --db``, the web app) and the loop plan from
the same problem (limited to the builder's candidates), the same strategy
with its options and seed, and the same observations and pending designs
rebuilt from the datastore, so a preview is the batch the loop then runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from datastore import Datastore
from datastore import repository as repo
from lab.running.campaigns import LoadedCampaign
from lab.running.learn import budget_used, planner_inputs, propose
from lab.specs.yamlio import SpecError
from planner import Design, Observation, Proposal
from planner.space import ParameterValue

Batch = list[tuple[int, dict[str, ParameterValue]]]
"""Designs by the experiment number they will get."""


@dataclass(frozen=True)
class PlannerState:
    """What the planner is given for a campaign's next cycle."""

    observations: list[Observation]
    pending: list[Design]
    first_number: int
    """The number the batch's first experiment will get."""
    remaining: int
    """Experiments left in the budget."""


def planner_state(store: Datastore | None, loaded: LoadedCampaign) -> PlannerState:
    """The stored campaign's observations, pending designs and budget left.

    A campaign not stored (or no ``store``) is at its start: nothing observed,
    the whole budget left.
    """
    spec = loaded.spec
    if store is not None:
        with store.session() as session:
            campaign = repo.find_campaign(session, spec.name)
            if campaign is not None and campaign.id is not None:
                observations, pending = planner_inputs(session, campaign.id, loaded.problem)
                first = len(repo.experiment_rows(session, campaign.id)) + 1
                left = spec.budget - budget_used(session, campaign.id)
                return PlannerState(observations, pending, first, left)
    return PlannerState([], [], 1, spec.budget)


def plan_next(loaded: LoadedCampaign, state: PlannerState) -> Proposal:
    """The next batch's proposal: ``min(batch_size, remaining)`` designs, as the loop plans it.

    Raises:
        SpecError: The budget is used up.
        PlannerError: The strategy cannot propose (an infeasible space, bad options).
    """
    spec = loaded.spec
    if state.remaining <= 0:
        raise SpecError(f"campaign {spec.name!r} has used its budget of {spec.budget}")
    n = min(spec.batch_size, state.remaining)
    return propose(loaded.problem, spec.strategy, state.observations, state.pending, n)


def preview_next_batch(loaded: LoadedCampaign, db: str | None) -> Batch:
    """The batch the loop would plan next for the campaign stored at ``db``, numbered.

    Without ``db``, or when the campaign is not stored there, its first batch.
    A SQLite file that does not exist is not created just to look.

    Raises:
        SpecError: The budget is used up.
    """
    store = Datastore(db) if db is not None and _may_exist(db) else None
    try:
        state = planner_state(store, loaded)
    finally:
        if store is not None:
            store.dispose()
    proposal = plan_next(loaded, state)
    return [
        (state.first_number + i, dict(s.parameters)) for i, s in enumerate(proposal.suggestions)
    ]


def _may_exist(db: str) -> bool:
    """A SQLite URL names an existing file (never create one just to look); others may exist."""
    prefix = "sqlite:///"
    return not db.startswith(prefix) or os.path.exists(db.removeprefix(prefix))
