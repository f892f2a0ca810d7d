"""The accounts page for admins: create, disable, issue tokens (every form with its CSRF token).

Other roles get 403 and nothing changes. A password typed in the form is
never shown again (not even after a refused attempt); a new token is shown
once, on the page that answers the form (never in a URL).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from datastore.accounts import AccountError
from lab.review.accounts import Role
from lab.services import accounts as account_service
from lab.services.actor import Actor
from lab.web.auth import Session, store_of
from lab.web.errors import status_of
from lab.web.render import PageError, done, form_of, page, signed_in

router = APIRouter(include_in_schema=False)
HISTORY_ROWS = 50


def _actor(session: Session) -> Actor:
    return Actor(session.user.name, "web")


@router.get("/accounts", response_class=HTMLResponse)
def accounts(request: Request) -> Response:
    """Every account, the forms to change them, and the newest changes."""
    session = signed_in(request)
    if not isinstance(session, Session):
        return session
    if not session.user.may(Role.admin):
        raise PageError(403, f"{session.user.name} is a {session.user.role.name}; this needs admin")
    return _page(request, session)


def _page(request: Request, session: Session, status: int = 200, **extra: Any) -> Response:
    store = store_of(request)
    context = {
        "accounts": account_service.listing(store),
        "history": account_service.history(store, HISTORY_ROWS),
        "roles": [r.name for r in Role],
        **extra,
    }
    return page(request, "accounts.html", session, status, **context)


@router.post("/accounts")
async def create(request: Request) -> Response:
    """Create an account with an initial password (the same rules as ``dbtl user add``)."""
    session, form = await form_of(request, Role.admin)
    name, role = form.get("name", "").strip(), form.get("role", "")
    try:
        password = form.get("password", "")
        account_service.add(store_of(request), _actor(session), name, role, password)
    except AccountError as exc:
        return _page(request, session, status_of(exc)[0], error=str(exc), typed_name=name)
    return done("/accounts", f"account {name} ({role}) created")


@router.post("/accounts/{name}/disable")
async def disable(request: Request, name: str) -> Response:
    """Disable an account (never the admin's own)."""
    session, _form = await form_of(request, Role.admin)
    if name == session.user.name:
        raise PageError(409, "an admin cannot disable their own account")
    try:
        account_service.disable(store_of(request), _actor(session), name)
    except AccountError as exc:
        raise PageError(status_of(exc)[0], str(exc)) from None
    return done("/accounts", f"account {name} disabled")


@router.post("/accounts/{name}/token")
async def token(request: Request, name: str) -> Response:
    """Issue an API token and show it once, on this answer only."""
    session, _form = await form_of(request, Role.admin)
    try:
        new = account_service.issue_token(store_of(request), _actor(session), name)
    except AccountError as exc:
        raise PageError(status_of(exc)[0], str(exc)) from None
    response = _page(request, session, new_token=(name, new))
    response.headers["Cache-Control"] = "no-store"
    return response
