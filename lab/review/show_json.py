"""``dbtl show --json``: a campaign (or the list of campaigns) as JSON with stable keys.

The keys below are a contract (``schema`` names its version; keys are only
ever added within a version)::

    dbtl show --json
    {"schema": "dbtl.campaigns/1",
     "campaigns": [{"name", "status", "lab", "strategy", "budget", "created_at"}]}

    dbtl show NAME --json
    {"schema": "dbtl.campaign/1",
     "campaign": {"name", "status", "status_reason", "lab", "strategy", "seed",
                  "budget", "budget_used", "batch_size", "approval_policy", "created_at"},
     "counts": {"<status>": n, ...},
     "best": {"<objective>": {"number", "value", "direction"} | null, ...},
     "experiments": [{"number", "cycle", "status", "attempt", "parameters",
                      "measurements", "error"}]}

Times are ISO 8601 in UTC; ``status_reason`` is why a paused campaign is
paused ("" otherwise); ``budget_used`` counts what the budget counts
(completed, failed and open experiments; never rejected, abandoned or
outage-interrupted ones).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from datastore import Session
from datastore import repository as repo
from datastore.models import Campaign
from lab.review.views import CampaignView, best_row
from lab.running.learn import budget_used

CAMPAIGNS_SCHEMA = "dbtl.campaigns/1"
CAMPAIGN_SCHEMA = "dbtl.campaign/1"


def campaigns_json(session: Session) -> dict[str, Any]:
    """Every stored campaign, one entry each."""
    return {
        "schema": CAMPAIGNS_SCHEMA,
        "campaigns": [
            {
                "name": c.name,
                "status": c.status,
                "lab": c.lab_name,
                "strategy": c.strategy,
                "budget": c.budget,
                "created_at": _iso(c.created_at),
            }
            for c in repo.list_campaigns(session)
        ],
    }


def campaign_json(session: Session, view: CampaignView, status_reason: str) -> dict[str, Any]:
    """One campaign: what it is, where it stands, its best results and its experiments."""
    c = view.campaign
    cid = c.id or 0
    values = repo.campaign_measurements(session, cid)
    experiments = [
        {
            "number": e.number,
            "cycle": e.cycle,
            "status": e.status,
            "attempt": e.attempt,
            "parameters": dict(e.parameters),
            "measurements": {k: _number(v) for k, v in values.get(e.id or 0, {}).items()},
            "error": e.error,
        }
        for e in repo.list_experiments(session, cid)
    ]
    return {
        "schema": CAMPAIGN_SCHEMA,
        "campaign": _campaign(c, status_reason, budget_used(session, cid)),
        "counts": view.status_counts(),
        "best": _best(view),
        "experiments": experiments,
    }


def _campaign(c: Campaign, status_reason: str, used: int) -> dict[str, Any]:
    return {
        "name": c.name,
        "status": c.status,
        "status_reason": status_reason,
        "lab": c.lab_name,
        "strategy": c.strategy,
        "seed": c.seed,
        "budget": c.budget,
        "budget_used": used,
        "batch_size": c.batch_size,
        "approval_policy": c.approval_policy,
        "created_at": _iso(c.created_at),
    }


def _best(view: CampaignView) -> dict[str, Any]:
    best: dict[str, Any] = {}
    for objective in view.objectives:
        row = best_row(view.table, objective)
        best[objective.name] = (
            None
            if row is None
            else {
                "number": int(row["number"]),
                "value": _number(row[objective.name]),
                "direction": objective.direction,
            }
        )
    return best


def _number(value: Any) -> float | None:
    """A JSON number (NaN and infinities, which JSON lacks, become null)."""
    number = float(value)
    return number if math.isfinite(number) else None


def _iso(moment: datetime) -> str:
    return moment.isoformat() if moment.tzinfo else moment.isoformat() + "+00:00"
