"""The provenance chain of one experiment, read from the stored rows (read-only).

:func:`experiment_provenance` returns plain data (JSON-ready): the plan that
proposed the experiment (strategy, options, seed, software, training set and
that cycle's model report), the proposal and its prediction, every decision
(who, when, edits before → after, comment or reason), each run (protocol
SHA-256, steps and compiled program, well, device commands with idempotency
keys and device identities, raw instrument records), the outcomes, and the
later cycles whose training set held it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlmodel import Session, col, select

from datastore import repository as repo
from datastore.models import Campaign, Event, Measurement, ModelSnapshot
from datastore.provenance import LEARNED_STATUSES
from datastore.provenance_models import (
    DeviceCommand,
    InstrumentRecord,
    PlanRecord,
    ProtocolRecord,
    RunExperiment,
)

DECISION_STATUSES = ("awaiting_approval", "approved", "rejected")
DECISION_KINDS = ("edited", "held")


def experiment_provenance(session: Session, experiment_id: int) -> dict[str, Any]:
    """Every stored link of one experiment's chain.

    Raises:
        NotFoundError: No experiment has that id.
    """
    experiment = repo.get_experiment(session, experiment_id)
    campaign = session.get(Campaign, experiment.campaign_id)
    assert campaign is not None  # foreign key
    events = _events(session, experiment_id)
    return {
        "experiment": {
            "id": experiment.id,
            "campaign": campaign.name,
            "number": experiment.number,
            "cycle": experiment.cycle,
            "status": experiment.status,
            "parameters": experiment.parameters,
            "attempt": experiment.attempt,
            "retry_of": experiment.retry_of,
            "error": experiment.error,
        },
        "plan": _plan(session, campaign.id or 0, experiment.cycle),
        "proposal": _proposal(events, experiment.predicted),
        "decisions": [_decision(e) for e in events if _is_decision(e)],
        "runs": _runs(session, experiment_id),
        "outcomes": _outcomes(session, experiment_id, events),
        "trained_on_by": _trained_on_by(session, campaign.id or 0, events),
        "events": [_event(e) for e in events],
    }


def _events(session: Session, experiment_id: int) -> list[Event]:
    query = select(Event).where(Event.experiment_id == experiment_id).order_by(col(Event.id))
    return list(session.exec(query))


def _event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "from": event.from_status,
        "to": event.to_status,
        "actor": event.actor,
        "at": event.created_at.isoformat(),
        "payload": event.payload,
    }


def _plan(session: Session, campaign_id: int, cycle: int) -> dict[str, Any] | None:
    record = session.exec(
        select(PlanRecord).where(PlanRecord.campaign_id == campaign_id, PlanRecord.cycle == cycle)
    ).first()
    snapshot = session.exec(
        select(ModelSnapshot).where(
            ModelSnapshot.campaign_id == campaign_id, ModelSnapshot.cycle == cycle
        )
    ).first()
    if record is None and snapshot is None:
        return None
    plan: dict[str, Any] = {"cycle": cycle}
    if record is not None:
        plan |= {
            "strategy": record.strategy,
            "options": record.options,
            "seed": record.seed,
            "software": record.software,
            "training_size": record.training_size,
            "training_sha256": record.training_sha256,
            "training_event_id": record.training_event_id,
            "planned_at": record.created_at.isoformat(),
        }
    if snapshot is not None:
        plan["model_report"] = {
            "strategy": snapshot.strategy,
            "n_train": snapshot.n_train,
            "suggest_seconds": snapshot.suggest_seconds,
            "diagnostics": snapshot.diagnostics,
        }
    return plan


def _proposal(events: list[Event], predicted: dict[str, Any] | None) -> dict[str, Any]:
    proposed = next((e for e in events if e.to_status == "proposed"), None)
    return {
        "parameters": (proposed.payload.get("parameters") if proposed else None),
        "predicted": predicted,
        "proposed_by": proposed.actor if proposed else None,
        "at": proposed.created_at.isoformat() if proposed else None,
    }


def _is_decision(event: Event) -> bool:
    return event.kind in DECISION_KINDS or (
        event.kind == "transition" and event.to_status in DECISION_STATUSES
    )


def _decision(event: Event) -> dict[str, Any]:
    payload = event.payload or {}
    decision = event.to_status if event.kind == "transition" else event.kind
    return {
        "decision": decision,
        "account": event.actor,
        "at": event.created_at.isoformat(),
        "before": payload.get("before"),
        "after": payload.get("after"),
        "comment": payload.get("comment") or payload.get("reason"),
        "flags": payload.get("flags"),
        "event_id": event.id,
    }


def _runs(session: Session, experiment_id: int) -> list[dict[str, Any]]:
    links = session.exec(
        select(RunExperiment)
        .where(RunExperiment.experiment_id == experiment_id)
        .order_by(col(RunExperiment.created_at))
    ).all()
    return [_run(session, link) for link in links]


def _run(session: Session, link: RunExperiment) -> dict[str, Any]:
    protocol = session.get(ProtocolRecord, link.protocol_sha256)
    commands = session.exec(
        select(DeviceCommand)
        .where(DeviceCommand.run_key == link.run_key)
        .order_by(col(DeviceCommand.id))
    ).all()
    files = session.exec(
        select(InstrumentRecord)
        .where(InstrumentRecord.run_key == link.run_key)
        .order_by(col(InstrumentRecord.id))
    ).all()
    steps = protocol.steps if protocol else []
    return {
        "run_key": link.run_key,
        "well": link.well,
        "protocol": _protocol(protocol) if protocol else {"sha256": link.protocol_sha256},
        "steps_of_well": [
            {"step": n, **s} for n, s in enumerate(steps, start=1) if _touches(s, link.well)
        ],
        "device_commands": [_command(c) for c in commands],
        "instrument_records": [_file(f) for f in files],
    }


def _touches(step: dict[str, Any], well: str | None) -> bool:
    """Whether a step is this experiment's: any step of a single run, a plate's for its well."""
    if well is None:
        return True
    destination = step.get("destination") or {}
    return destination.get("well") == well or well in (step.get("wells") or [])


def _protocol(record: ProtocolRecord) -> dict[str, Any]:
    compiled = record.compiled
    return {
        "sha256": record.sha256,
        "name": record.name,
        "steps": record.steps,
        "step_count": len(record.steps),
        "compiled_name": record.compiled_name,
        "compiled_sha256": hashlib.sha256(compiled.encode()).hexdigest() if compiled else None,
    }


def _command(command: DeviceCommand) -> dict[str, Any]:
    return {
        "device": command.device,
        "command": command.command,
        "step": command.step,
        "idempotency_key": command.idempotency_key,
        "device_model": command.device_model,
        "device_firmware": command.device_firmware,
        "device_serial": command.device_serial,
        "detail": command.detail,
    }


def _file(record: InstrumentRecord) -> dict[str, Any]:
    return {
        "device": record.device,
        "kind": record.kind,
        "file_name": record.file_name,
        "sha256": record.sha256,
        "size_bytes": record.size_bytes,
    }


def _outcomes(session: Session, experiment_id: int, events: list[Event]) -> dict[str, Any]:
    rows = session.exec(
        select(Measurement)
        .where(Measurement.experiment_id == experiment_id)
        .order_by(col(Measurement.id))
    ).all()
    final = _learned_event(events)
    return {
        "status": final.to_status if final else None,
        "recorded_by": final.actor if final else None,
        "at": final.created_at.isoformat() if final else None,
        "measurements": [{"name": m.name, "value": m.value, "unit": m.unit} for m in rows],
    }


def _learned_event(events: list[Event]) -> Event | None:
    learned = {s.value for s in LEARNED_STATUSES}
    return next((e for e in events if e.to_status in learned), None)


def _trained_on_by(session: Session, campaign_id: int, events: list[Event]) -> list[int]:
    final = _learned_event(events)
    if final is None:
        return []
    query = (
        select(PlanRecord.cycle)
        .where(PlanRecord.campaign_id == campaign_id)
        .where(col(PlanRecord.training_event_id) >= (final.id or 0))
        .order_by(col(PlanRecord.cycle))
    )
    return [int(c) for c in session.exec(query)]
