"""Tables of synthesis routes: every version of a route, and the decisions on them.

A chemist's edit never overwrites a route: it adds a :class:`RouteVersion`
with the next ``version`` number of the same ``family`` and a link to the
version it was made from. Approvals and rejections are appended as
:class:`RouteDecision` rows naming the account and the comment.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from datastore.models import utcnow


class RouteVersion(SQLModel, table=True):
    """One version of one route to a target (its JSON as the route model wrote it)."""

    __tablename__ = "route_version"
    __table_args__ = (UniqueConstraint("family", "version", name="uq_route_version"),)

    id: int | None = Field(default=None, primary_key=True)
    family: str = Field(max_length=64, index=True, description="same for every version")
    version: int = Field(ge=1)
    parent_id: int | None = Field(default=None, foreign_key="route_version.id")
    target: str = Field(max_length=1000, index=True)
    route_json: str = Field(sa_column=Column(Text, nullable=False))
    route_key: str = Field(max_length=64, description="digest of the chemistry")
    source: str = Field(max_length=200)
    step_count: int
    solved: bool = Field(description="every leaf in stock")
    author: str = Field(max_length=300)
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class RouteDecision(SQLModel, table=True):
    """An approval or rejection of one route version, by an account, with a comment."""

    __tablename__ = "route_decision"

    id: int | None = Field(default=None, primary_key=True)
    route_version_id: int = Field(foreign_key="route_version.id", index=True)
    decision: str = Field(max_length=16)
    account: str = Field(max_length=300)
    comment: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)
