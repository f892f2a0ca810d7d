"""The app factory: API, pages, error handlers, security headers."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from datastore import Datastore, DatastoreError
from lab.review.decisions import ReviewError
from lab.web import accounts_api, accounts_page, actions, api, errors, live, pages
from lab.web.auth import LoginLimiter, SessionSigner
from lab.web.cache import StateCache
from lab.web.errors import status_of
from lab.web.render import PageError, page

log = logging.getLogger("dbtl.web")
STATIC = Path(__file__).parent / "static"


def wants_page(request: Request) -> bool:
    """Whether an error should be an HTML page (browsers outside the API) rather than JSON."""
    path = request.url.path
    return not path.startswith(("/api/", "/openapi")) and path != "/live"


async def service_error_handler(request: Request, exc: Exception) -> Response:
    """An error of the service layer, with the status its kind means (nothing was changed)."""
    status, field = status_of(exc)
    message = str(exc)
    if status == 503:
        log.warning("datastore error on %s: %s", request.url.path, exc)
        message = "the datastore is unavailable; try again"
    if wants_page(request):
        return await page_error_handler(request, PageError(status, message))
    if status == 404 and field is None:
        field = errors.not_found_field(request)
    return errors.error_response(status, message, None if status == 503 else field)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Unknown routes and wrong methods: an HTML page for browsers, JSON in the API."""
    assert isinstance(exc, StarletteHTTPException)
    if wants_page(request):
        return await page_error_handler(request, PageError(exc.status_code, str(exc.detail)))
    return await errors.http_error_handler(request, exc)


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged here, answered with a generic 500 and no internals."""
    log.error("internal error on %s", request.url.path, exc_info=exc)
    if wants_page(request):
        return HTMLResponse(
            "<!doctype html><title>dbtl: error</title><h1>Internal error</h1>"
            "<p>The server log has the details.</p>",
            status_code=500,
        )
    return await errors.internal_error_handler(request, exc)


async def page_error_handler(request: Request, exc: Exception) -> Response:
    """A refused page action, shown as a page with its message (nothing was changed)."""
    assert isinstance(exc, PageError)
    from lab.web.auth import browser_session

    session = browser_session(request)
    return page(request, "error.html", session, exc.status, message=exc.message)


def create_app(
    store: Datastore, secret_key: str | None = None, secure_cookies: bool = False
) -> FastAPI:
    """Build the web app over ``store``.

    Args:
        store: The datastore (the same one ``dbtl run`` writes).
        secret_key: Signs session cookies; a random one (sessions end at restart) if omitted.
        secure_cookies: Mark the session and sign-in cookies ``Secure`` (sent over HTTPS
            only); ``dbtl serve`` turns it on unless it listens on loopback.
    """
    app = FastAPI(
        title="dbtl",
        summary="Campaigns, approvals and devices of a self-driving lab",
        version="1",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.store = store
    app.state.signer = SessionSigner(secret_key or secrets.token_urlsafe(32))
    app.state.limiter = LoginLimiter()
    app.state.secure_cookies = secure_cookies
    app.state.plots = StateCache[dict]()
    app.add_exception_handler(errors.ApiError, errors.api_error_handler)
    app.add_exception_handler(RequestValidationError, errors.validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    for kind in (ReviewError, DatastoreError):
        app.add_exception_handler(kind, service_error_handler)
    app.add_exception_handler(Exception, internal_error_handler)
    app.include_router(api.router)
    app.include_router(accounts_api.router)
    app.include_router(accounts_page.router)
    app.include_router(pages.router)
    app.include_router(actions.router)
    app.include_router(live.router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.add_exception_handler(PageError, page_error_handler)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app
