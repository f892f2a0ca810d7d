"""The operator's levers on a campaign: pause, resume, abort (see :mod:`lab.review.control`).

They only write to the datastore; the process running the campaign sees the
change at its next step.
"""

from __future__ import annotations

from typing import Literal, get_args

from datastore import Datastore
from lab.review.control import ControlError, change_campaign
from lab.services.actor import Actor

Action = Literal["pause", "resume", "abort"]
ACTIONS: tuple[str, ...] = get_args(Action)


def change(
    store: Datastore, name: str, action: str, actor: Actor, reason: str | None = None
) -> list[int]:
    """Pause, resume or abort campaign ``name``, recording the actor and the reason.

    Returns:
        Numbers of the experiments abandoned (abort only).

    Raises:
        ControlError: Unknown action, or it does not apply to the campaign's status.
        NotFoundError: No such campaign.
    """
    if action not in ACTIONS:
        raise ControlError(f"no action {action!r}; use {', '.join(ACTIONS)}")
    return change_campaign(store, name, action, actor.name, reason, actor.audit())


def pause(store: Datastore, name: str, actor: Actor, reason: str | None = None) -> None:
    """Pause: the running experiment finishes, then nothing new starts."""
    change(store, name, "pause", actor, reason)


def resume(store: Datastore, name: str, actor: Actor, reason: str | None = None) -> None:
    """Resume a paused campaign."""
    change(store, name, "resume", actor, reason)


def abort(store: Datastore, name: str, actor: Actor, reason: str | None = None) -> list[int]:
    """Abort: every experiment not yet started is abandoned; return their numbers."""
    return change(store, name, "abort", actor, reason)
