"""From stored experiments to the planner's inputs, and back.

The planner keeps no state: every cycle it is given the observations and
pending designs rebuilt from the datastore, so a crashed campaign refits
from exactly what was stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from datastore import repository as repo
from datastore.models import Experiment
from datastore.states import PENDING, ExperimentStatus
from planner import Observation, Problem
from planner.problem import Design

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
    experiments = repo.list_experiments(session, campaign_id)
    values = repo.measurements_by_experiment(
        session, [e.id for e in experiments if e.id is not None and e.status == _S.COMPLETED]
    )
    names = set(problem.outcome_names)
    observations: list[Observation] = []
    pending: list[Design] = []
    for experiment in experiments:
        status = ExperimentStatus(experiment.status)
        if status == _S.COMPLETED:
            assert experiment.id is not None
            measured = {k: v for k, v in values[experiment.id].items() if k in names}
            observations.append(
                Observation(experiment.parameters, measured, failed=not names <= set(measured))
            )
        elif status in (_S.FAILED, _S.REJECTED):
            observations.append(Observation(experiment.parameters, failed=True))
        elif status in PENDING:
            pending.append(experiment.parameters)
    return observations, pending


def budget_used(experiments: Sequence[Experiment]) -> int:
    """Count experiments that use the budget: all but rejected and abandoned ones."""
    return sum(1 for e in experiments if e.status not in (_S.REJECTED, _S.ABANDONED))
