"""The app factory: API, pages, error handlers, security headers."""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from datastore import Datastore, DatastoreError, IllegalTransitionError, NotFoundError
from datastore.accounts import AccountError
from lab.control import ControlError
from lab.review import AlreadyDecidedError, EditRefusedError, ReviewError, UnknownExperimentError
from lab.web import api, errors
from lab.web.auth import LoginLimiter, SessionSigner

log = logging.getLogger("dbtl.web")


def status_of(exc: Exception) -> tuple[int, str | None]:
    """HTTP status and field of an error of the service layer."""
    if isinstance(exc, EditRefusedError):
        return 422, exc.field
    if isinstance(exc, NotFoundError | UnknownExperimentError):
        return 404, None
    if isinstance(exc, AlreadyDecidedError | IllegalTransitionError | ControlError):
        return 409, None
    if isinstance(exc, ReviewError | AccountError):
        return 422, None
    return 503, None  # the database is locked, unreachable or damaged


async def service_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """An error of the service layer, with the status its kind means (nothing was changed)."""
    status, field = status_of(exc)
    if status == 503:
        log.warning("datastore error on %s: %s", request.url.path, exc)
        return errors.error_response(503, "the datastore is unavailable; try again")
    return errors.error_response(status, str(exc), field)


def create_app(store: Datastore, secret_key: str | None = None) -> FastAPI:
    """Build the web app over ``store``.

    Args:
        store: The datastore (the same one ``dbtl run`` writes).
        secret_key: Signs session cookies; a random one (sessions end at restart) if omitted.
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
    app.add_exception_handler(errors.ApiError, errors.api_error_handler)
    app.add_exception_handler(RequestValidationError, errors.validation_handler)
    app.add_exception_handler(StarletteHTTPException, errors.http_error_handler)
    for kind in (ReviewError, DatastoreError):
        app.add_exception_handler(kind, service_error_handler)
    app.add_exception_handler(Exception, errors.internal_error_handler)
    app.include_router(api.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app
