"""Tables of the provenance chain: what planned, what ran, on what, and what the instrument wrote.

Together with the event log they let one experiment be traced from the model
that proposed it to the cycles that learned from it:

- :class:`PlanRecord`: one per planning cycle: strategy, options, seed, the
  software versions, and the training set (its size, its SHA-256 and the
  event-log position it was read at, from which it can be rebuilt).
- :class:`ProtocolRecord`: one per distinct protocol (by SHA-256): its steps,
  metadata and the compiled device program.
- :class:`DeviceCommand`: one per device command of a run, with its
  idempotency key and the identity the device gave (model, firmware).
- :class:`InstrumentRecord`: one per raw instrument record (an HPLC report
  file, a plate-reader export): file name, SHA-256, size, and the content when
  it is a small text export.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from datastore.models import Event, utcnow


class PlanRecord(SQLModel, table=True):
    """How one cycle's proposals were made, and from which training set."""

    __tablename__ = "plan_record"
    __table_args__ = (UniqueConstraint("campaign_id", "cycle", name="uq_plan_record_cycle"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    cycle: int
    strategy: str = Field(max_length=64)
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    seed: int
    software: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    training_size: int
    training_sha256: str = Field(max_length=64)
    training_event_id: int = Field(
        description="id of the last event written when the training set was read"
    )
    created_at: datetime = Field(default_factory=utcnow)


class ProtocolRecord(SQLModel, table=True):
    """A protocol as it ran: steps, metadata and compiled program, keyed by its SHA-256."""

    __tablename__ = "protocol_record"

    sha256: str = Field(primary_key=True, max_length=64)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    name: str = Field(max_length=300)
    steps: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    protocol_metadata: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column("metadata", JSON, nullable=False)
    )
    compiled_name: str | None = Field(default=None, max_length=300)
    compiled: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class DeviceCommand(SQLModel, table=True):
    """One command sent to a device for a run, with its idempotency key and device identity."""

    __tablename__ = "device_command"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_device_command_key"),
        Index("ix_device_command_run", "run_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    run_key: str = Field(max_length=300)
    protocol_sha256: str = Field(max_length=64)
    step: int | None = Field(default=None, description="1-based step of the protocol, if one")
    device: str = Field(max_length=200)
    command: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=400)
    device_model: str = Field(default="", max_length=200)
    device_firmware: str = Field(default="", max_length=200)
    device_serial: str = Field(default="", max_length=200)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class InstrumentRecord(SQLModel, table=True):
    """A raw record an instrument produced for a run: file name, hash, and small content."""

    __tablename__ = "instrument_record"
    __table_args__ = (Index("ix_instrument_record_run", "run_key"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    run_key: str = Field(max_length=300)
    device: str = Field(max_length=200)
    kind: str = Field(max_length=64, description="e.g. plate_reader_export, hplc_report")
    file_name: str = Field(max_length=500)
    sha256: str = Field(max_length=64)
    size_bytes: int
    content: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class RunExperiment(SQLModel, table=True):
    """Which experiments one run (a plate, or a single experiment) carried, and where."""

    __tablename__ = "run_experiment"

    run_key: str = Field(primary_key=True, max_length=300)
    experiment_id: int = Field(primary_key=True, foreign_key="experiment.id", index=True)
    protocol_sha256: str = Field(max_length=64)
    well: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


_EVENTS = Event.__table__  # type: ignore[attr-defined]
EVENT_KEYSET_INDEX = Index("ix_event_campaign_id_id", _EVENTS.c.campaign_id, _EVENTS.c.id)
"""Reads a campaign's events in order, page by page (keyset pagination), without a sort."""
EVENT_KIND_INDEX = Index(
    "ix_event_campaign_kind_id", _EVENTS.c.campaign_id, _EVENTS.c.kind, _EVENTS.c.id
)
"""Reads a campaign's events of one kind, newest first (budget marks, status reasons)."""
