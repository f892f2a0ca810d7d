"""Read-only views of a stored campaign: its table, best results, progress per cycle."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from datastore import Session, summaries
from datastore import repository as repo
from datastore.exports import experiment_table
from datastore.models import Campaign, Event, ModelSnapshot
from lab.specs.campaign import CampaignSpec
from planner import Objective


@dataclass(frozen=True)
class CampaignView:
    """Everything ``dbtl show`` prints about one campaign."""

    campaign: Campaign
    spec: CampaignSpec | None
    table: pd.DataFrame
    snapshots: list[ModelSnapshot]
    events: list[Event]
    counts: dict[str, int] | None = None
    """Experiments per status, counted in the database (set when ``table`` is partial)."""
    progress: dict[str, pd.DataFrame] | None = None
    """Per objective, :func:`best_so_far_by_cycle` computed in the database (partial views)."""

    @property
    def partial(self) -> bool:
        """True when ``table`` holds only some experiments (see :func:`load_summary_view`)."""
        return self.counts is not None

    @property
    def objectives(self) -> list[Objective]:
        """The campaign's objectives (empty if the stored spec cannot be read)."""
        return list(self.spec.objectives) if self.spec else []

    @property
    def parameter_names(self) -> list[str]:
        """Parameter columns of the table."""
        return [p.name for p in self.spec.parameters] if self.spec else []

    def status_counts(self) -> dict[str, int]:
        """Number of experiments per status."""
        if self.counts is not None:
            return dict(self.counts)
        if self.table.empty:
            return {}
        return {str(k): int(v) for k, v in self.table["status"].value_counts().items()}

    def best_so_far(self, objective: Objective) -> pd.DataFrame:
        """Per cycle: completed, the cycle's best and the best so far of ``objective``."""
        if self.progress is not None and objective.name in self.progress:
            return self.progress[objective.name]
        return best_so_far_by_cycle(self.table, objective)


def load_view(session: Session, name: str, with_events: bool = True) -> CampaignView:
    """Read one campaign for display, every experiment in its table.

    Raises:
        NotFoundError: No such campaign.
    """
    campaign, spec = _campaign_and_spec(session, name)
    names = spec.problem().outcome_names if spec else None
    table = experiment_table(session, campaign, names)
    return CampaignView(
        campaign,
        spec,
        table,
        repo.list_snapshots(session, campaign.id or 0),
        repo.list_events(session, campaign.id or 0) if with_events else [],  # big: on demand
    )


def load_summary_view(
    session: Session, name: str, last: int, with_events: bool = False
) -> CampaignView:
    """Read what a summary of one campaign shows, in time independent of its size.

    Counts per status and the best-so-far per cycle are computed in the
    database; the table holds only the last ``last`` experiments and the best
    one (or, with several objectives, the Pareto front). Everything printed
    from it matches :func:`load_view` for the same campaign.

    Raises:
        NotFoundError: No such campaign.
    """
    campaign, spec = _campaign_and_spec(session, name)
    campaign_id = campaign.id or 0
    objectives = list(spec.objectives) if spec else []
    numbers = set(summaries.last_numbers(session, campaign_id, last))
    numbers |= _best_numbers(session, campaign_id, objectives)
    names = spec.problem().outcome_names if spec else None
    progress = {
        o.name: _progress_frame(summaries.cycle_bests(session, campaign_id, o.name, o.sign), o)
        for o in objectives
    }
    return CampaignView(
        campaign,
        spec,
        experiment_table(session, campaign, names, numbers=numbers),
        repo.list_snapshots(session, campaign_id),
        repo.list_events(session, campaign_id) if with_events else [],
        counts=summaries.status_counts(session, campaign_id),
        progress=progress,
    )


def _campaign_and_spec(session: Session, name: str) -> tuple[Campaign, CampaignSpec | None]:
    import yaml

    campaign = repo.get_campaign(session, name)
    try:
        spec: CampaignSpec | None = CampaignSpec.model_validate(yaml.safe_load(campaign.spec_yaml))
    except Exception:  # a spec stored by another version is still shown, without objectives
        spec = None
    return campaign, spec


def _best_numbers(session: Session, campaign_id: int, objectives: list[Objective]) -> set[int]:
    if len(objectives) == 1:
        o = objectives[0]
        best = summaries.best_experiment_number(session, campaign_id, o.name, o.sign)
        return set() if best is None else {best}
    if not objectives:
        return set()
    names = [o.name for o in objectives]
    values = summaries.completed_values(session, campaign_id, names)
    complete = [(n, v) for n, v in values.items() if len(v) == len(names)]
    if not complete:
        return set()
    signed = np.array([[v[o.name] * o.sign for o in objectives] for _, v in complete])
    return {n for (n, _), keep in zip(complete, pareto_mask(signed), strict=True) if keep}


def _progress_frame(rows: list[tuple[int, int, float]], objective: Objective) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=["cycle", "completed", "cycle_best", "best_so_far"])
    cycles, completed, best = zip(*rows, strict=True)
    best_series = pd.Series(best, dtype=float)
    running = best_series.cummax() if objective.sign > 0 else best_series.cummin()
    return pd.DataFrame(
        {
            "cycle": np.asarray(cycles, dtype=int),
            "completed": np.asarray(completed, dtype=int),
            "cycle_best": best_series.to_numpy(),
            "best_so_far": running.to_numpy(),
        }
    )


def completed_rows(table: pd.DataFrame, objective: Objective) -> pd.DataFrame:
    """Completed experiments with a value for ``objective``."""
    if table.empty or objective.name not in table:
        return table.iloc[0:0]
    rows = table[(table["status"] == "completed") & table[objective.name].notna()]
    return rows


def best_row(table: pd.DataFrame, objective: Objective) -> pd.Series | None:
    """The completed experiment with the best value of ``objective``, or ``None``."""
    rows = completed_rows(table, objective)
    if rows.empty:
        return None
    values = rows[objective.name].astype(float)
    position = int(values.to_numpy().argmax() if objective.sign > 0 else values.to_numpy().argmin())
    return rows.iloc[position]


def best_so_far_by_cycle(table: pd.DataFrame, objective: Objective) -> pd.DataFrame:
    """Per cycle: experiments completed, the cycle's best, and the best so far."""
    rows = completed_rows(table, objective)
    if rows.empty:
        return pd.DataFrame(columns=["cycle", "completed", "cycle_best", "best_so_far"])
    grouped = rows.groupby("cycle")[objective.name]
    best = grouped.max() if objective.direction == "maximize" else grouped.min()
    running = best.cummax() if objective.direction == "maximize" else best.cummin()
    return pd.DataFrame(
        {
            "cycle": best.index.astype(int),
            "completed": grouped.size().to_numpy(),
            "cycle_best": best.to_numpy(),
            "best_so_far": running.to_numpy(),
        }
    )


def pareto_rows(table: pd.DataFrame, objectives: list[Objective]) -> pd.DataFrame:
    """Completed experiments not dominated on every objective at once."""
    rows = table[table["status"] == "completed"].dropna(subset=[o.name for o in objectives])
    if rows.empty:
        return rows
    signed = rows[[o.name for o in objectives]].astype(float).to_numpy() * [
        o.sign for o in objectives
    ]
    return rows[pareto_mask(signed)]


def pareto_mask(signed: np.ndarray) -> np.ndarray:
    """Which rows of ``signed`` (n points × d objectives, all to maximize) are non-dominated.

    A point is dominated when another is at least as good on every objective
    and better on one; equal points do not dominate each other. Points are
    visited in descending lexicographic order, so a point can only be dominated
    by one visited before it, and it suffices to compare it with the front
    kept so far: O(n · front size).
    """
    n = len(signed)
    keep = np.zeros(n, dtype=bool)
    if n == 0:
        return keep
    order = np.lexsort(-signed.T[::-1])
    front = np.empty((0, signed.shape[1]))
    for index in order:
        point = signed[index]
        if len(front) and (((front >= point).all(axis=1) & (front > point).any(axis=1)).any()):
            continue
        keep[index] = True
        front = np.vstack([front, point])
    return keep
