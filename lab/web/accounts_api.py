"""Accounts through the REST API (admin only): create, disable, issue tokens, the audit trail.

The same rules as ``dbtl user``: :mod:`lab.services.accounts` checks names, roles and
passwords. Every change stores an audit event naming the admin (source
``api``); a password is never echoed, a token is shown once in the response
that made it. A non-admin gets 403 and nothing changes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam

from lab.review.accounts import Role, User
from lab.services import accounts as account_service
from lab.services.actor import Actor
from lab.web import schemas as s
from lab.web.auth import require, store_of
from lab.web.errors import ERROR_RESPONSES, ApiError

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES, tags=["accounts"])
Admin = Annotated[User, Depends(require(Role.admin))]
AccountName = Annotated[str, PathParam(max_length=64, description="account name")]
Limit = Annotated[int, Query(ge=1, le=s.MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="rows to skip")]


def _actor(admin: User) -> Actor:
    return Actor(admin.name, "api")


@router.get("/accounts", response_model=list[s.AccountOut])
def accounts(
    request: Request, _: Admin, limit: Limit = s.MAX_PAGE, offset: Offset = 0
) -> list[s.AccountOut]:
    """Accounts with their role, oldest first (admin only)."""
    users = account_service.listing(store_of(request))[offset : offset + limit]
    return [s.AccountOut(name=u.name, role=u.role.name, disabled=d) for u, d in users]


@router.post("/accounts", response_model=s.AccountCreated, status_code=201)
def create(request: Request, admin: Admin, body: s.AccountIn) -> s.AccountCreated:
    """Create an account with an initial password, or without one and get an API token once."""
    store, actor = store_of(request), _actor(admin)
    token = None
    if body.password is None:
        user, token = account_service.add_with_token(store, actor, body.name, body.role)
    elif not body.password.strip():
        raise ApiError(422, "password: the password is empty", "password")
    else:
        user = account_service.add(store, actor, body.name, body.role, body.password)
    account = s.AccountOut(name=user.name, role=user.role.name, disabled=False)
    return s.AccountCreated(account=account, token=token)


@router.post("/accounts/{name}/disable", response_model=s.AccountOut)
def disable(request: Request, name: AccountName, admin: Admin) -> s.AccountOut:
    """Disable an account: its sessions and tokens stop working (it is never deleted)."""
    if name == admin.name:
        raise ApiError(409, "name: an admin cannot disable their own account", "name")
    account_service.disable(store_of(request), _actor(admin), name)
    return _account(request, name)


@router.post("/accounts/{name}/tokens", response_model=s.TokenOut, status_code=201)
def token(request: Request, name: AccountName, admin: Admin) -> s.TokenOut:
    """Issue a new API token of an account (shown once; only its hash is stored)."""
    new = account_service.issue_token(store_of(request), _actor(admin), name)
    return s.TokenOut(name=name, token=new)


@router.get("/account-events", response_model=s.AccountEventPage)
def events(
    request: Request, _: Admin, limit: Limit = 100, offset: Offset = 0
) -> s.AccountEventPage:
    """Changes to accounts, newest first, each naming who made it."""
    items = [
        s.AccountEventOut(**change.__dict__)
        for change in account_service.history(store_of(request), limit, offset)
    ]
    return s.AccountEventPage(items=items, limit=limit, offset=offset)


def _account(request: Request, name: str) -> s.AccountOut:
    for user, disabled in account_service.listing(store_of(request)):
        if user.name == name:
            return s.AccountOut(name=user.name, role=user.role.name, disabled=disabled)
    raise ApiError(404, f"no account {name!r}", "name")
