"""Accounts through the REST API (admin only): create, disable, issue tokens, the audit trail.

The same rules as ``dbtl user``: :mod:`lab.review.accounts` checks names, roles and
passwords. Every change stores an audit event naming the admin (source
``api``); a password is never echoed, a token is shown once in the response
that made it. A non-admin gets 403 and nothing changes.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam

from lab.review.accounts import (
    Role,
    User,
    account_history,
    add_user,
    disable_user,
    issue_token,
    list_users,
)
from lab.web import schemas as s
from lab.web.auth import require, store_of
from lab.web.errors import ERROR_RESPONSES, ApiError

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["accounts"])
Admin = Annotated[User, Depends(require(Role.admin))]
AccountName = Annotated[str, PathParam(max_length=64, description="account name")]
Limit = Annotated[int, Query(ge=1, le=s.MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="rows to skip")]
API = {"source": "api"}


@router.get("/accounts", response_model=list[s.AccountOut])
def accounts(
    request: Request, _: Admin, limit: Limit = s.MAX_PAGE, offset: Offset = 0
) -> list[s.AccountOut]:
    """Accounts with their role, oldest first (admin only)."""
    users = list_users(store_of(request))[offset : offset + limit]
    return [s.AccountOut(name=u.name, role=u.role.name, disabled=d) for u, d in users]


@router.post("/accounts", response_model=s.AccountCreated, status_code=201)
def create(request: Request, admin: Admin, body: s.AccountIn) -> s.AccountCreated:
    """Create an account with an initial password, or without one and get an API token once."""
    store = store_of(request)
    password = body.password if body.password is not None else secrets.token_urlsafe(32)
    if body.password is not None and not body.password.strip():
        raise ApiError(422, "password: the password is empty", "password")
    audit = {**API, "initial": "password" if body.password is not None else "token"}
    user = add_user(store, body.name, body.role, password, admin.name, audit)
    token = issue_token(store, user.name, admin.name, API) if body.password is None else None
    account = s.AccountOut(name=user.name, role=user.role.name, disabled=False)
    return s.AccountCreated(account=account, token=token)


@router.post("/accounts/{name}/disable", response_model=s.AccountOut)
def disable(request: Request, name: AccountName, admin: Admin) -> s.AccountOut:
    """Disable an account: its sessions and tokens stop working (it is never deleted)."""
    if name == admin.name:
        raise ApiError(409, "name: an admin cannot disable their own account", "name")
    disable_user(store_of(request), name, admin.name, API)
    return _account(request, name)


@router.post("/accounts/{name}/tokens", response_model=s.TokenOut, status_code=201)
def token(request: Request, name: AccountName, admin: Admin) -> s.TokenOut:
    """Issue a new API token of an account (shown once; only its hash is stored)."""
    return s.TokenOut(name=name, token=issue_token(store_of(request), name, admin.name, API))


@router.get("/account-events", response_model=s.AccountEventPage)
def events(
    request: Request, _: Admin, limit: Limit = 100, offset: Offset = 0
) -> s.AccountEventPage:
    """Changes to accounts, newest first, each naming who made it."""
    items = [
        s.AccountEventOut(**change.__dict__)
        for change in account_history(store_of(request), limit, offset)
    ]
    return s.AccountEventPage(items=items, limit=limit, offset=offset)


def _account(request: Request, name: str) -> s.AccountOut:
    for user, disabled in list_users(store_of(request)):
        if user.name == name:
            return s.AccountOut(name=user.name, role=user.role.name, disabled=disabled)
    raise ApiError(404, f"no account {name!r}", "name")
