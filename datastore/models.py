"""SQLModel tables.

One campaign has many experiments; an experiment has many measurements; every
state change appends one :class:`Event`; each planning cycle stores one
:class:`ModelSnapshot`. Parameters, predictions and diagnostics are JSON
because their keys come from the campaign's own search space.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Campaign(SQLModel, table=True):
    """One optimization campaign: its spec, as given, and where it stands."""

    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    status: str = Field(default="active", max_length=32)
    spec_yaml: str = Field(sa_column=Column(Text, nullable=False))
    spec_hash: str = Field(max_length=64)
    strategy: str = Field(max_length=64)
    seed: int
    budget: int
    batch_size: int
    approval_policy: str = Field(default="auto", max_length=32)
    priority: int = Field(default=0, description="higher runs first when devices are contended")
    lab_name: str | None = Field(default=None, max_length=200, index=True)
    lab_yaml: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Experiment(SQLModel, table=True):
    """One proposed or executed experiment of a campaign."""

    __tablename__ = "experiment"
    __table_args__ = (
        UniqueConstraint("campaign_id", "number", name="uq_experiment_campaign_number"),
        Index("ix_experiment_campaign_status", "campaign_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    number: int = Field(description="1-based position within the campaign")
    cycle: int
    status: str = Field(max_length=32)
    parameters: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    predicted: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = Field(default=None, sa_column=Column(Text))
    attempt: int = Field(default=1, description="1 for a proposal, 2+ for retries of it")
    retry_of: int | None = Field(default=None, description="number of the failed experiment")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Measurement(SQLModel, table=True):
    """One measured or derived quantity of one experiment."""

    __tablename__ = "measurement"
    __table_args__ = (UniqueConstraint("experiment_id", "name", name="uq_measurement_name"),)

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiment.id", index=True)
    name: str = Field(max_length=200)
    value: float
    unit: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """An append-only record of something that happened; never updated or deleted."""

    __tablename__ = "event"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    experiment_id: int | None = Field(default=None, foreign_key="experiment.id", index=True)
    kind: str = Field(max_length=64)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    actor: str = Field(max_length=200)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class ModelSnapshot(SQLModel, table=True):
    """What the planner fitted and reported in one cycle."""

    __tablename__ = "model_snapshot"
    __table_args__ = (UniqueConstraint("campaign_id", "cycle", name="uq_snapshot_cycle"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    cycle: int
    strategy: str = Field(max_length=64)
    n_train: int
    suggest_seconds: float
    diagnostics: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow)


class Lease(SQLModel, table=True):
    """Exclusive use of a resource (a lab, a device) by one holder until it expires.

    A holder renews its leases while it works; a lease past ``expires_at`` may
    be taken by anyone, so a crashed orchestrator never locks a device forever.
    """

    __tablename__ = "lease"

    resource: str = Field(primary_key=True, max_length=300)
    holder: str = Field(max_length=300)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    acquired_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


class DeviceState(SQLModel, table=True):
    """Whether a device of a lab is in service, and how often it failed in a row."""

    __tablename__ = "device_state"
    __table_args__ = (UniqueConstraint("lab_name", "device", name="uq_device_state"),)

    id: int | None = Field(default=None, primary_key=True)
    lab_name: str = Field(max_length=200)
    device: str = Field(max_length=200)
    in_service: bool = True
    consecutive_failures: int = 0
    note: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = Field(default_factory=utcnow)


import datastore.account_models  # noqa: E402  (accounts and API tokens)
import datastore.provenance_models  # noqa: E402, F401  (provenance tables)
from datastore import route_models  # noqa: E402, F401  (route versions and decisions)
