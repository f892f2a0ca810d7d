"""From stored experiments to the planner's inputs, and back.

The planner keeps no state: every cycle it is given the observations and
pending designs rebuilt from the datastore, so a crashed campaign refits
from exactly what was stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datastore import Session
from datastore import repository as repo
from datastore.states import PENDING, ExperimentStatus
from planner import Observation, Problem, Proposal, suggest
from planner.problem import Design

if TYPE_CHECKING:
    from lab.specs.campaign import StrategySpec

_S = ExperimentStatus
LEARNED_FROM = frozenset({_S.COMPLETED, _S.FAILED, _S.REJECTED})


def planner_inputs(
    session: Session, campaign_id: int, problem: Problem
) -> tuple[list[Observation], list[Design]]:
    """Return the campaign's observations and pending designs.

    Completed experiments carry their measured outcomes. Failed experiments
    are passed as failed (never as a zero). Rejected proposals are passed as
    failed too, so the planner does not propose them again. Experiments that
    are still open, or whose outcome needs a person, are pending.
    """
    experiments = repo.experiment_rows(session, campaign_id)
    names = set(problem.outcome_names)
    values = repo.campaign_measurements(session, campaign_id, names)
    observations: list[Observation] = []
    pending: list[Design] = []
    for experiment in experiments:
        if experiment.status == _S.COMPLETED:
            measured = values.get(experiment.id, {})
            failed = not names <= set(measured)
            observations.append(Observation(experiment.parameters, measured, failed=failed))
        elif experiment.status in (_S.FAILED, _S.REJECTED):
            observations.append(Observation(experiment.parameters, failed=True))
        elif experiment.status in PENDING:
            pending.append(experiment.parameters)
    return observations, pending


BUDGET_STATUSES = frozenset(ExperimentStatus) - {_S.REJECTED, _S.ABANDONED}
"""Experiments that use the budget: all but rejected and abandoned ones..."""
INFRASTRUCTURE_MARK = "interrupted_by_infrastructure"
"""...and but those flagged because infrastructure interrupted them mid-run: a device that
stopped answering (lab.running.outages) or the orchestrator itself stopping
(lab.running.reconcile)."""


def budget_used(session: Session, campaign_id: int) -> int:
    """Count the campaign's experiments that use the budget.

    Completed, failed and still open experiments count; rejected and abandoned
    ones do not, nor those infrastructure interrupted (``needs_attention``
    with an ``interrupted_by_infrastructure`` event: a device outage, or a
    crash of the orchestrator mid-run) until a person settles them:
    infrastructure never spends the budget.
    """
    counted = repo.count_experiments(session, campaign_id, BUDGET_STATUSES)
    outages = repo.count_marked(session, campaign_id, _S.NEEDS_ATTENTION, INFRASTRUCTURE_MARK)
    return counted - outages


def propose(
    problem: Problem,
    strategy: StrategySpec,
    observations: list[Observation],
    pending: list[Design],
    n: int,
) -> Proposal:
    """The campaign's next ``n`` designs: the one planning call the loop and every preview make.

    Args:
        problem: The campaign's problem (limited to its builder's candidates, if any).
        strategy: The campaign's strategy: name, seed and options.
        observations: What was measured so far (see :func:`planner_inputs`).
        pending: Designs proposed or running, not yet measured.
        n: How many designs to propose.
    """
    return suggest(
        problem,
        observations,
        pending,
        n,
        strategy.seed,
        strategy=strategy.name,
        options=strategy.options,
    )
