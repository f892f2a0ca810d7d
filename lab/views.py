"""Read-only views of a stored campaign: its table, best results, progress per cycle."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlmodel import Session

from datastore import repository as repo
from datastore.exports import experiment_table
from datastore.models import Campaign, Event, ModelSnapshot
from lab.spec import CampaignSpec
from planner import Objective


@dataclass(frozen=True)
class CampaignView:
    """Everything ``dbtl show`` prints about one campaign."""

    campaign: Campaign
    spec: CampaignSpec | None
    table: pd.DataFrame
    snapshots: list[ModelSnapshot]
    events: list[Event]

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
        if self.table.empty:
            return {}
        return {str(k): int(v) for k, v in self.table["status"].value_counts().items()}


def load_view(session: Session, name: str, with_events: bool = True) -> CampaignView:
    """Read one campaign for display.

    Raises:
        NotFoundError: No such campaign.
    """
    import yaml

    campaign = repo.get_campaign(session, name)
    try:
        spec: CampaignSpec | None = CampaignSpec.model_validate(yaml.safe_load(campaign.spec_yaml))
    except Exception:  # a spec stored by another version is still shown, without objectives
        spec = None
    names = spec.problem().outcome_names if spec else None
    table = experiment_table(session, campaign, names)
    return CampaignView(
        campaign,
        spec,
        table,
        repo.list_snapshots(session, campaign.id or 0),
        repo.list_events(session, campaign.id or 0) if with_events else [],  # big: on demand
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
    keep = [
        not any((other >= point).all() and (other > point).any() for other in signed)
        for point in signed
    ]
    return rows[keep]
