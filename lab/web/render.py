"""Rendering of pages: templates, the signed-in session, errors as pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from lab.review.accounts import Role
from lab.services.events import last_event_id
from lab.web.auth import Session, browser_session, csrf_ok, store_of

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'"
)


class PageError(Exception):
    """A page action refused: shown as a page with the status and the message."""

    def __init__(self, status: int, message: str) -> None:
        """Create the error."""
        super().__init__(message)
        self.status = status
        self.message = message


def page(
    request: Request, name: str, session: Session | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """Render template ``name`` for the signed-in ``session``."""
    last_event = last_event_id(store_of(request))
    response = TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "user": session.user if session else None,
            "csrf": session.csrf if session else "",
            "Role": Role,
            "last_event": last_event,
            "notice": request.query_params.get("done"),
            **context,
        },
        status_code=status,
    )
    response.headers["Content-Security-Policy"] = CSP
    return response


def signed_in(request: Request) -> Session | RedirectResponse:
    """The session of a page view, or a redirect to the login page."""
    session = browser_session(request)
    if session is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    return session


async def form_of(request: Request, needed: Role) -> tuple[Session, dict[str, str]]:
    """The session and fields of a form POST, which needs ``needed`` and the CSRF token.

    Raises:
        PageError: 401 not signed in, 403 wrong CSRF token or a role below ``needed``.
    """
    session = browser_session(request)
    if session is None:
        raise PageError(401, "sign in first")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    if not csrf_ok(session, form.get("csrf")):
        raise PageError(403, "the form's security token is missing or stale; reload the page")
    if not session.user.may(needed):
        raise PageError(
            403, f"{session.user.name} is a {session.user.role.name}; this needs {needed.name}"
        )
    return session, form


def done(path: str, message: str) -> RedirectResponse:
    """Back to ``path`` after a successful action, saying what was done."""
    from urllib.parse import quote

    return RedirectResponse(f"{path}?done={quote(message)}", status_code=303)
