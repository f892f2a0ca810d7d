"""Form posts of the pages: approve (with edits), reject, batch approve, control, devices, settle.

Each needs the session's CSRF token and the right role, then calls the same
service function as the CLI and the API; a refused decision is shown on a
page with its message and nothing is changed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from datastore import DatastoreError
from lab.review.accounts import Role
from lab.review.decisions import ReviewError
from lab.services import attention as attention_service
from lab.services import control as control_service
from lab.services import devices as device_service
from lab.services import review as review_service
from lab.services.actor import Actor
from lab.web.auth import Session, store_of
from lab.web.errors import status_of
from lab.web.render import PageError, done, form_of

router = APIRouter(include_in_schema=False)
EDIT_PREFIX = "p."
ORIGINAL_PREFIX = "orig."
"""Form fields: ``p.<name>`` holds the (edited) value, ``orig.<name>`` the proposed one."""


def _actor(session: Session) -> Actor:
    return Actor(session.user.name, "web")


def _refused(exc: Exception) -> PageError:
    status, _field = status_of(exc)
    return PageError(
        status, str(exc) if status != 503 else "the datastore is unavailable; try again"
    )


@router.post("/proposals/{experiment_id}/approve")
async def approve(request: Request, experiment_id: int) -> Response:
    """Approve one proposal; fields changed from the proposal are applied as edits first."""
    session, form = await form_of(request, Role.chemist)
    edits = {
        name[len(EDIT_PREFIX) :]: value.strip()
        for name, value in form.items()
        if name.startswith(EDIT_PREFIX)
        and value.strip() != form.get(ORIGINAL_PREFIX + name[len(EDIT_PREFIX) :], "").strip()
    }
    try:
        (e,) = review_service.approve(
            store_of(request), _actor(session), [experiment_id], edits, form.get("comment") or None
        )
    except (ReviewError, DatastoreError) as exc:
        raise _refused(exc) from None
    edited = f" with {', '.join(f'{k}={v}' for k, v in edits.items())}" if edits else ""
    return done("/proposals", f"approved #{e.number} (id {e.id}){edited}")


@router.post("/proposals/{experiment_id}/reject")
async def reject(request: Request, experiment_id: int) -> Response:
    """Reject one proposal; the reason is required."""
    session, form = await form_of(request, Role.chemist)
    try:
        (e,) = review_service.reject(
            store_of(request), _actor(session), [experiment_id], form.get("reason", "")
        )
    except (ReviewError, DatastoreError) as exc:
        raise _refused(exc) from None
    return done("/proposals", f"rejected #{e.number} (id {e.id})")


@router.post("/proposals/approve-cycle")
async def approve_cycle(request: Request) -> Response:
    """Approve every proposal of one cycle of a campaign."""
    session, form = await form_of(request, Role.chemist)
    try:
        cycle = int(form.get("cycle", ""))
        decided = review_service.approve_cycle(
            store_of(request),
            _actor(session),
            form.get("campaign", ""),
            cycle,
            form.get("comment") or None,
        )
    except ValueError:
        raise PageError(422, "cycle must be a whole number") from None
    except (ReviewError, DatastoreError) as exc:
        raise _refused(exc) from None
    return done("/proposals", f"approved {len(decided)} proposal(s) of cycle {form['cycle']}")


@router.post("/campaigns/{name}/{action}")
async def control(request: Request, name: str, action: str) -> Response:
    """Pause, resume or abort a campaign."""
    session, form = await form_of(request, Role.operator)
    if action not in ("pause", "resume", "abort"):
        raise PageError(404, f"no action {action!r}; use pause, resume or abort")
    try:
        control_service.change(
            store_of(request), name, action, _actor(session), form.get("reason") or None
        )
    except DatastoreError as exc:
        raise _refused(exc) from None
    return done(f"/campaigns/{name}", f"{action}d {name}".replace("abortd", "aborted"))


@router.post("/devices/{lab}/{device}/service")
async def service(request: Request, lab: str, device: str) -> Response:
    """Put a device in or out of service."""
    session, form = await form_of(request, Role.operator)
    on = form.get("in_service") == "1"
    if device_service.find(store_of(request), lab, device) is None:
        raise PageError(404, f"no device {device!r} in lab {lab!r}")
    device_service.set_in_service(
        store_of(request), lab, device, on, _actor(session), form.get("note")
    )
    return done("/devices", f"{lab}/{device} is {'in' if on else 'out of'} service")


@router.post("/attention/{experiment_id}/resolve")
async def settle(request: Request, experiment_id: int) -> Response:
    """Record how an experiment that needs attention really ended."""
    session, form = await form_of(request, Role.chemist)
    outcome = form.get("outcome", "")
    if outcome not in ("completed", "failed", "abandoned"):
        raise PageError(422, "outcome: choose completed, failed or abandoned")
    try:
        values = attention_service.parse_values(
            [v for v in form.get("values", "").split(",") if v.strip()]
        )
        e = attention_service.settle(
            store_of(request), _actor(session), experiment_id, outcome, values, form.get("note", "")
        )
    except (ReviewError, DatastoreError) as exc:
        raise _refused(exc) from None
    return done("/attention", f"experiment {e.id} is now {e.status}")
