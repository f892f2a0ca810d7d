"""Rows and views of the service layer turned into API models."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from datastore.models import Event, Experiment
from lab.review.overview import CampaignSummary, DeviceRow, molecules
from lab.services.experiments import ExperimentPage, Found
from lab.services.review import PendingPage
from lab.web import schemas as s


def campaign_out(summary: CampaignSummary) -> s.CampaignOut:
    """A campaign summary as the API shows it."""
    c = summary.campaign
    objectives = list(summary.spec.objectives) if summary.spec else []
    return s.CampaignOut(
        name=c.name,
        status=c.status,
        strategy=c.strategy,
        budget=c.budget,
        batch_size=c.batch_size,
        approval_policy=c.approval_policy,
        lab=c.lab_name,
        objectives=[s.ObjectiveOut(name=o.name, direction=o.direction) for o in objectives],
        counts=summary.counts,
        completed=summary.completed,
        awaiting_approval=summary.awaiting,
        progress=round(summary.progress, 4),
        best=summary.best,
        created_at=c.created_at,
    )


def campaign_detail(summary: CampaignSummary, progress: pd.DataFrame | None) -> s.CampaignDetail:
    """A campaign with parameters and the first objective's best-so-far per cycle.

    Args:
        summary: The campaign's summary.
        progress: :meth:`~lab.review.views.CampaignView.best_so_far` of its first objective.
    """
    base = campaign_out(summary)
    cycles = [
        s.CycleBest(
            cycle=int(r["cycle"]),
            completed=int(r["completed"]),
            cycle_best=float(r["cycle_best"]),
            best_so_far=float(r["best_so_far"]),
        )
        for r in ([] if progress is None else progress.to_dict("records"))
    ]
    names = [p.name for p in summary.spec.parameters] if summary.spec else []
    return s.CampaignDetail(**base.model_dump(), parameters=names, best_so_far=cycles)


def predictions(experiment: Experiment) -> dict[str, s.Prediction]:
    """The stored predictions that have a mean and an sd."""
    out = {}
    for name, value in (experiment.predicted or {}).items():
        if isinstance(value, dict) and "mean" in value and "sd" in value:
            out[name] = s.Prediction(mean=float(value["mean"]), sd=float(value["sd"]))
    return out


def experiment_outs(found: ExperimentPage) -> list[s.ExperimentOut]:
    """A page of experiments with their measured values."""
    return [_experiment_out(e, name, found.results) for name, e in found.rows]


def experiment_out(found: Found) -> s.ExperimentOut:
    """One experiment with its measured values."""
    return _experiment_out(
        found.experiment, found.campaign, {found.experiment.id or 0: found.results}
    )


def _experiment_out(
    e: Experiment, campaign: str, results: dict[int, dict[str, float]]
) -> s.ExperimentOut:
    return s.ExperimentOut(
        id=e.id or 0,
        campaign=campaign,
        number=e.number,
        cycle=e.cycle,
        status=e.status,
        parameters=dict(e.parameters),
        predicted=predictions(e),
        results=results.get(e.id or 0, {}),
        error=e.error,
        attempt=e.attempt,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


def proposal_outs(found: PendingPage) -> list[s.ProposalOut]:
    """A page of proposals as a reviewer sees them."""
    return [
        s.ProposalOut(
            experiment=_experiment_out(v.experiment, v.campaign, found.results),
            rationale=v.rationale,
            flags=v.flags,
            preflight=v.preflight,
            protocol=v.protocol_lines,
            molecules=molecules(found.specs[v.campaign], v.experiment.parameters),
        )
        for v in found.views
    ]


def event_out(event: Event, campaign: str) -> s.EventOut:
    """One event."""
    return s.EventOut(
        id=event.id or 0,
        campaign=campaign,
        experiment_id=event.experiment_id,
        kind=event.kind,
        from_status=event.from_status,
        to_status=event.to_status,
        actor=event.actor,
        payload=dict(event.payload),
        created_at=event.created_at,
    )


def device_out(row: DeviceRow) -> s.DeviceOut:
    """One device (every field of its row)."""
    return s.DeviceOut(**asdict(row))
