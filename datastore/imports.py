"""Prior results stored as completed experiments of a campaign (warm starts).

An imported result is a new experiment of cycle 0, created ``completed`` with
its measurements and one ``imported`` event naming the source file, its
SHA-256 and the row: it never passed the approval gate or a device of this
lab, and the provenance says so. The caller validates every row first; this
stores all of them in the caller's transaction, or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from datastore import repository as repo
from datastore.models import Campaign, Experiment, Measurement
from datastore.states import ExperimentStatus

IMPORT_CYCLE = 0
"""Cycle number of imported results (planning cycles start at 1)."""


@dataclass(frozen=True)
class ImportedResult:
    """One row of prior results: its design, what was measured, and where it came from."""

    parameters: Mapping[str, object]
    measurements: Sequence[repo.MeasuredValue]
    row: int


def import_results(
    session: Session,
    campaign: Campaign,
    results: Sequence[ImportedResult],
    *,
    actor: str,
    source: str,
    source_sha256: str,
) -> list[Experiment]:
    """Store ``results`` as completed experiments of ``campaign``; return them, in order."""
    campaign_id = campaign.id or 0
    last = session.exec(
        select(func.max(Experiment.number)).where(Experiment.campaign_id == campaign_id)
    ).one()
    stored = []
    for offset, result in enumerate(results, start=1):
        status = ExperimentStatus.COMPLETED if result.measurements else ExperimentStatus.FAILED
        experiment = Experiment(
            campaign_id=campaign_id,
            number=(last or 0) + offset,
            cycle=IMPORT_CYCLE,
            status=status.value,
            parameters=dict(result.parameters),
            error=None if result.measurements else f"imported without a result ({source})",
        )
        session.add(experiment)
        stored.append(experiment)
    session.flush()
    for experiment, result in zip(stored, results, strict=True):
        for measured in result.measurements:
            session.add(
                Measurement(
                    experiment_id=experiment.id or 0,
                    name=measured.name,
                    value=float(measured.value),
                    unit=measured.unit,
                )
            )
        repo.append_event(
            session,
            campaign_id,
            "imported",
            actor=actor,
            experiment_id=experiment.id,
            to_status=ExperimentStatus(experiment.status),
            payload={"source": source, "source_sha256": source_sha256, "row": result.row},
        )
    return stored
