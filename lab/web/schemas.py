"""Request and response models of the REST API (they make its OpenAPI schema)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from lab.review.overview import DeviceRow

MAX_PAGE = 500
"""Largest page any list returns."""


class Prediction(BaseModel):
    """The surrogate's prediction of one outcome."""

    mean: float
    sd: float


class ObjectiveOut(BaseModel):
    """One objective of a campaign."""

    name: str
    direction: str


class CampaignOut(BaseModel):
    """Where a campaign stands."""

    name: str
    status: str
    strategy: str
    budget: int
    batch_size: int
    approval_policy: str
    lab: str | None
    objectives: list[ObjectiveOut]
    counts: dict[str, int]
    completed: int
    awaiting_approval: int
    progress: float = Field(description="share of the budget finished, 0-1")
    best: dict[str, float]
    created_at: datetime


class CycleBest(BaseModel):
    """Best-so-far of the first objective after one cycle."""

    cycle: int
    completed: int
    cycle_best: float
    best_so_far: float


class CampaignDetail(CampaignOut):
    """A campaign with its parameters and progress per cycle."""

    parameters: list[str]
    best_so_far: list[CycleBest]


class CampaignPage(BaseModel):
    """A page of campaigns."""

    items: list[CampaignOut]
    total: int
    limit: int
    offset: int


class ExperimentOut(BaseModel):
    """One experiment."""

    id: int
    campaign: str
    number: int
    cycle: int
    status: str
    parameters: dict[str, Any]
    predicted: dict[str, Prediction]
    results: dict[str, float]
    error: str | None
    attempt: int
    created_at: datetime
    updated_at: datetime


class ExperimentPage(BaseModel):
    """A page of experiments."""

    items: list[ExperimentOut]
    total: int
    limit: int
    offset: int


class ProposalOut(BaseModel):
    """A proposal awaiting approval, with what a reviewer needs to decide."""

    experiment: ExperimentOut
    rationale: str
    flags: list[str]
    preflight: str = Field(description="'passed', or the problem the pre-flight check found")
    protocol: list[str]
    molecules: dict[str, str] = Field(description="SMILES of each molecule parameter")


class ProposalPage(BaseModel):
    """A page of proposals."""

    items: list[ProposalOut]
    total: int
    limit: int
    offset: int


class ApproveIn(BaseModel):
    """An approval, optionally with edits of the parameters (applied first)."""

    edits: dict[str, float | str] = Field(default_factory=dict)
    comment: str | None = Field(default=None, max_length=2000)


class RejectIn(BaseModel):
    """A rejection; the reason is required."""

    reason: str = Field(min_length=1, max_length=2000)


class CycleApproveIn(BaseModel):
    """Approve every proposal of one cycle of a campaign."""

    cycle: int = Field(ge=0)
    comment: str | None = Field(default=None, max_length=2000)


class ResolveIn(BaseModel):
    """How an experiment that needs attention really ended."""

    outcome: Literal["completed", "failed", "abandoned"]
    values: dict[str, float] = Field(default_factory=dict)
    note: str = Field(min_length=1, max_length=2000)


class ControlIn(BaseModel):
    """Why a campaign is paused, resumed or aborted (optional)."""

    reason: str | None = Field(default=None, max_length=2000)


class ControlOut(BaseModel):
    """A campaign after pause, resume or abort."""

    name: str
    status: str
    abandoned: list[int] = Field(description="numbers of the experiments abandoned by an abort")


class EventOut(BaseModel):
    """One event of the audit trail."""

    id: int
    campaign: str
    experiment_id: int | None
    kind: str
    from_status: str | None
    to_status: str | None
    actor: str
    payload: dict[str, Any]
    created_at: datetime


class EventPage(BaseModel):
    """Events after a cursor; pass ``next_after`` as ``after`` for the next page."""

    items: list[EventOut]
    next_after: int


@dataclass(frozen=True)
class DeviceOut(DeviceRow):
    """A device of a lab: in service or not, and who holds it."""

    # no fields of its own: they are the service layer's row's, so a new one appears here too


class DevicePage(BaseModel):
    """A page of devices."""

    items: list[DeviceOut]
    total: int
    limit: int
    offset: int


class ServiceIn(BaseModel):
    """Put a device in or out of service."""

    in_service: bool
    note: str | None = Field(default=None, max_length=2000)


class AccountOut(BaseModel):
    """An account (never its password hash)."""

    name: str
    role: str
    disabled: bool


class Me(BaseModel):
    """The account a token belongs to."""

    name: str
    role: str


class AccountIn(BaseModel):
    """A new account: the same rules as ``dbtl user add``.

    Give an initial ``password``, or none: then the account gets no usable
    password and the response carries an API token, shown once.
    """

    name: str = Field(min_length=1, max_length=64, description="letters, digits, . _ @ -")
    role: Literal["viewer", "operator", "chemist", "admin"]
    password: str | None = Field(default=None, min_length=1, max_length=1024)


class AccountCreated(BaseModel):
    """The account created, and its API token when no password was given (shown once)."""

    account: AccountOut
    token: str | None = None


class TokenOut(BaseModel):
    """A new API token of an account: shown once, only its hash is kept."""

    name: str
    token: str


class AccountEventOut(BaseModel):
    """One audited change to an account."""

    id: int
    account: str
    kind: str
    actor: str
    payload: dict[str, Any]
    created_at: datetime


class AccountEventPage(BaseModel):
    """A page of account changes, newest first."""

    items: list[AccountEventOut]
    limit: int
    offset: int
