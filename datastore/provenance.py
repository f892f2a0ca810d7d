"""Capture of the provenance chain, written where the run path makes each link.

- :func:`record_plan`: when a cycle's proposals are stored, how they were made
  and the SHA-256 of the training set as stored at that moment;
- :func:`record_run`: before a run's first device command, the protocol (steps,
  metadata, compiled program), the experiments it carries and the commands
  with their idempotency keys and the devices' identities;
- :func:`record_instrument_file`: after a read, the raw record the instrument
  produced (file name, SHA-256, size; the content when it is a small export).

The training set of a cycle is every experiment whose outcome the planner was
given (by default: completed, failed, rejected) as of the last event written
when it was read. Results never change once final, so
:func:`training_set_digest` rebuilds the same set, and the same hash, from
the stored rows at any later time: a reviewer can check it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from datastore.models import Event, Experiment, Measurement
from datastore.provenance_models import (
    DeviceCommand,
    InstrumentRecord,
    PlanRecord,
    ProtocolRecord,
    RunExperiment,
)
from datastore.states import ExperimentStatus

LEARNED_STATUSES: frozenset[ExperimentStatus] = frozenset(
    {ExperimentStatus.COMPLETED, ExperimentStatus.FAILED, ExperimentStatus.REJECTED}
)
"""Outcomes the planner learns from (the default training set)."""
SOFTWARE = ("dbtl", "botorch", "ax-platform", "torch", "rdkit")
"""Distributions whose versions each plan record keeps."""
MAX_STORED_CONTENT_BYTES = 1_000_000
"""Raw records up to this size are kept whole; larger ones by name and hash only."""


@dataclass(frozen=True)
class ProtocolData:
    """A protocol as the datastore keeps it (``Protocol.model_dump(mode='json')``)."""

    sha256: str
    name: str
    steps: Sequence[Mapping[str, Any]]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    compiled_name: str | None = None
    compiled: str | None = None


@dataclass(frozen=True)
class NewCommand:
    """One device command of a run and the identity the device gave."""

    device: str
    command: str
    idempotency_key: str
    step: int | None = None
    model: str = ""
    firmware: str = ""
    serial: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)


def software_versions() -> dict[str, str]:
    """Installed versions of dbtl and of the planner's libraries."""
    versions = {}
    for name in SOFTWARE:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


# ------------------------------------------------------------------ plans


def last_event_id(session: Session, campaign_id: int) -> int:
    """Id of the campaign's last event (0 when none)."""
    query = select(func.max(Event.id)).where(Event.campaign_id == campaign_id)
    return int(session.exec(query).one() or 0)


def training_set_digest(
    session: Session,
    campaign_id: int,
    up_to_event_id: int,
    statuses: Iterable[ExperimentStatus] = LEARNED_STATUSES,
) -> tuple[list[int], str]:
    """The experiments of the training set as of ``up_to_event_id``, and its SHA-256.

    Each member is hashed as canonical JSON of ``[id, status, parameters,
    {measurement: value}]`` in id order.
    """
    wanted = [s.value for s in statuses]
    members = session.exec(
        select(Experiment.id, Event.to_status, Experiment.parameters)
        .join(Event, col(Event.experiment_id) == Experiment.id)
        .where(Event.campaign_id == campaign_id)
        .where(col(Event.to_status).in_(wanted))
        .where(col(Event.id) <= up_to_event_id)
        .order_by(col(Experiment.id))
    ).all()
    ids = [int(i or 0) for i, _, _ in members]
    values: dict[int, dict[str, float]] = {}
    if ids:
        rows = session.exec(
            select(Measurement.experiment_id, Measurement.name, Measurement.value)
            .join(Experiment, col(Experiment.id) == Measurement.experiment_id)
            .where(Experiment.campaign_id == campaign_id)
        )
        for measured_id, name, value in rows:
            values.setdefault(measured_id, {})[name] = value
    digest = hashlib.sha256()
    for experiment_id, status, parameters in members:
        measured = values.get(int(experiment_id or 0), {}) if status == "completed" else {}
        digest.update(_canonical([experiment_id, status, parameters, measured]).encode())
        digest.update(b"\n")
    return ids, digest.hexdigest()


def record_plan(
    session: Session,
    campaign_id: int,
    cycle: int,
    *,
    strategy: str,
    options: Mapping[str, Any],
    seed: int,
    statuses: Iterable[ExperimentStatus] = LEARNED_STATUSES,
) -> PlanRecord:
    """Store how ``cycle`` was planned and the training set it was planned from."""
    up_to: int = last_event_id(session, campaign_id)
    ids, digest = training_set_digest(session, campaign_id, up_to, statuses)
    record = PlanRecord(
        campaign_id=campaign_id,
        cycle=cycle,
        strategy=strategy,
        options=json.loads(_canonical(dict(options))),
        seed=seed,
        software=software_versions(),
        training_size=len(ids),
        training_sha256=digest,
        training_event_id=up_to,
    )
    session.add(record)
    return record


# ------------------------------------------------------------------- runs


def record_run(
    session: Session,
    campaign_id: int,
    run_key: str,
    protocol: ProtocolData,
    experiments: Mapping[int, str | None],
    commands: Sequence[NewCommand],
) -> None:
    """Store a run's protocol, the experiments it carries (id → well) and its commands.

    Safe to call again for the same run (a run resumed after a crash): what is
    already stored is kept, nothing is duplicated.
    """
    if session.get(ProtocolRecord, protocol.sha256) is None:
        session.add(
            ProtocolRecord(
                sha256=protocol.sha256,
                campaign_id=campaign_id,
                name=protocol.name,
                steps=[dict(s) for s in protocol.steps],
                protocol_metadata=dict(protocol.metadata),
                compiled_name=protocol.compiled_name,
                compiled=protocol.compiled,
            )
        )
    for experiment_id, well in experiments.items():
        if session.get(RunExperiment, (run_key, experiment_id)) is None:
            session.add(
                RunExperiment(
                    run_key=run_key,
                    experiment_id=experiment_id,
                    protocol_sha256=protocol.sha256,
                    well=well,
                )
            )
    known = set(
        session.exec(select(DeviceCommand.idempotency_key).where(DeviceCommand.run_key == run_key))
    )
    for command in commands:
        if command.idempotency_key not in known:
            session.add(_command_row(campaign_id, run_key, protocol.sha256, command))
    session.flush()


def _command_row(
    campaign_id: int, run_key: str, protocol_sha256: str, command: NewCommand
) -> DeviceCommand:
    return DeviceCommand(
        campaign_id=campaign_id,
        run_key=run_key,
        protocol_sha256=protocol_sha256,
        step=command.step,
        device=command.device,
        command=command.command,
        idempotency_key=command.idempotency_key,
        device_model=command.model,
        device_firmware=command.firmware,
        device_serial=command.serial,
        detail=dict(command.detail),
    )


def record_instrument_file(
    session: Session,
    campaign_id: int,
    run_key: str,
    *,
    device: str,
    kind: str,
    file_name: str,
    content: bytes,
) -> InstrumentRecord:
    """Store one raw instrument record: name, SHA-256, size, and the content if small text."""
    text: str | None = None
    if len(content) <= MAX_STORED_CONTENT_BYTES:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    record = InstrumentRecord(
        campaign_id=campaign_id,
        run_key=run_key,
        device=device,
        kind=kind,
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        size_bytes=len(content),
        content=text,
    )
    session.add(record)
    return record


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
