"""Who takes a decision, and from where: recorded on every event a service writes."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from typing import Literal, get_args

from lab.review.decisions import ReviewError
from lab.running.approvals import is_person
from lab.running.campaigns import default_actor

Source = Literal["cli", "web", "api"]
"""Where a decision came from: a terminal, a browser page, or the REST API."""
SOURCES: tuple[str, ...] = get_args(Source)


class ActorError(ReviewError):
    """An actor's name or source cannot be recorded; nothing was changed."""


@dataclass(frozen=True)
class Actor:
    """An account (or a terminal's user) deciding through one of the :data:`Source` front ends.

    Attributes:
        name: The account name (web, api) or the reviewer's name (cli); recorded
            as the event's actor.
        source: ``cli``, ``web`` or ``api``.
        os_user: The operating-system user of a terminal (cli only), recorded beside
            the name.
    """

    name: str
    source: Source
    os_user: str | None = None

    def __post_init__(self) -> None:
        """Refuse an empty name, a policy's name or an unknown source."""
        if not self.name.strip():
            raise ActorError("an actor needs a name (the account or person deciding)")
        if not is_person(self.name):
            raise ActorError(f"{self.name!r} is reserved for policies; give a person's name")
        if self.source not in SOURCES:
            raise ActorError(f"source {self.source!r}: expected one of {', '.join(SOURCES)}")

    def audit(self) -> dict[str, str]:
        """What each event's payload records about the decision's origin."""
        out = {"source": str(self.source)}
        if self.os_user:
            out["os_user"] = self.os_user
        return out


def os_user() -> str:
    """The operating-system user running this process."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return os.environ.get("USER") or "unknown"


def cli_actor(name: str | None = None) -> Actor:
    """A terminal's actor: ``name`` (default: the OS user), with the OS user recorded beside it."""
    user = os_user()
    return Actor(name or user, "cli", user)


def terminal_actor() -> Actor:
    """The actor of an operator's terminal command: ``user@host:pid``, source ``cli``."""
    return Actor(default_actor(), "cli", os_user())
