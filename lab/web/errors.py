"""Errors of the web app: one JSON shape naming the field, and no internals ever shown."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from datastore import IllegalTransitionError, NotFoundError
from datastore.accounts import AccountError, AccountExistsError, UnknownAccountError
from lab.review.control import ControlError
from lab.review.decisions import (
    AlreadyDecidedError,
    EditRefusedError,
    ReviewError,
    UnknownExperimentError,
)


class ErrorBody(BaseModel):
    """What every error response of the API holds."""

    message: str
    field: str | None = None


class ApiError(Exception):
    """An error with its HTTP status, a message for people and the field it is about."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        """Create the error."""
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "No or unknown credentials"),
        (403, "The account's role may not do this (nothing changed)"),
        (404, "No such campaign, experiment or device"),
        (
            409,
            "A conflict with the stored state: decided already, name taken (nothing changed)",
        ),
        (422, "Bad input: the message names the field (nothing changed)"),
    )
}
"""Responses every API route documents in the OpenAPI schema."""


NAMING_QUERIES = ("campaign",)
"""Query parameters that name a stored thing (a 404 without a path parameter names them)."""
_NOT_FIELDS = {"body", "query", "path", "header", "float", "int", "str", "bool", "none"}


def error_response(status: int, message: str, field: str | None = None) -> JSONResponse:
    """The JSON response of an error."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = ErrorBody(message=message, field=field).model_dump()
    return JSONResponse(body, status_code=status, headers=headers)


def not_found_field(request: Request) -> str | None:
    """The request parameter naming what was not found, for a 404's ``field``.

    The route's innermost path parameter (``experiment_id`` of
    ``/experiments/{experiment_id}/approve``, ``name`` of ``/campaigns/{name}``),
    else a query parameter of :data:`NAMING_QUERIES` the request gave
    (``/proposals?campaign=``), else ``None``.
    """
    if request.path_params:
        return list(request.path_params)[-1]
    return next((q for q in NAMING_QUERIES if q in request.query_params), None)


async def api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Render an :class:`ApiError`."""
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.message, exc.field)


async def validation_handler(_request: Request, exc: Exception) -> JSONResponse:
    """A request that does not match the schema: 422 naming the first bad field."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        return error_response(422, f"body: not valid JSON ({first.get('msg')})", "body")
    loc = [
        str(part)
        for part in first.get("loc", ())
        if part not in _NOT_FIELDS and "[" not in str(part)  # union members: "float", "list[...]"
    ]
    field = ".".join(loc) or None
    message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    return error_response(422, message, field)


async def http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown route, wrong method) in the same JSON shape."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:  # FastAPI's "error parsing the body": bad input like any other
        return error_response(422, "body: not valid JSON", "body")
    return error_response(exc.status_code, str(exc.detail))


async def internal_error_handler(_request: Request, _exc: Exception) -> JSONResponse:
    """Anything unexpected: 500 with a generic message, never a stack trace."""
    return error_response(500, "internal error; the server log has the details")


def status_of(exc: Exception) -> tuple[int, str | None]:
    """HTTP status and field of an error of the service layer."""
    if isinstance(exc, EditRefusedError):
        return 422, exc.field
    if isinstance(exc, AccountError):
        status = 404 if isinstance(exc, UnknownAccountError) else 422
        return (409 if isinstance(exc, AccountExistsError) else status), exc.field
    if isinstance(exc, NotFoundError | UnknownExperimentError):
        return 404, None
    if isinstance(exc, AlreadyDecidedError | IllegalTransitionError | ControlError):
        return 409, None
    if isinstance(exc, ReviewError):
        return 422, None
    return 503, None  # the database is locked, unreachable or damaged
