"""Tables of the web app's accounts and their API tokens.

An account has one role; its password is stored only as an argon2 hash and
each API token only as the SHA-256 of the token, so a copy of the database
gives nobody a way in. Accounts are disabled, never deleted: the audit trail
keeps naming them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from datastore.models import utcnow


class Account(SQLModel, table=True):
    """A person (or a service) who signs in to the web app or calls the REST API."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True, index=True)
    role: str = Field(max_length=16, description="viewer, operator, chemist or admin")
    password_hash: str = Field(max_length=300, description="argon2id, PHC string format")
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """One API token of an account, stored as the SHA-256 hex digest of the token."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    token_sha256: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow)


class AccountEvent(SQLModel, table=True):
    """An append-only record of a change to an account, naming who made it."""

    __tablename__ = "account_event"

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=200, index=True, description="the account changed")
    kind: str = Field(max_length=64, description="created, disabled or token_issued")
    actor: str = Field(max_length=200, description="who changed it (an admin, or the OS user)")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
