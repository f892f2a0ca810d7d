"""Queries on accounts and API tokens (hashes in, rows out; no hashing here)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from datastore.account_models import Account, AccountEvent, ApiToken
from datastore.errors import DatastoreError
from datastore.models import utcnow


class AccountError(DatastoreError):
    """An account cannot be created, found or changed as asked; nothing was stored."""

    def __init__(self, message: str, field: str | None = None) -> None:
        """Create the error; ``field`` names the input at fault (``name``, ``role``...)."""
        super().__init__(message)
        self.field = field


class AccountExistsError(AccountError):
    """An account of that name exists already."""


class UnknownAccountError(AccountError):
    """No account has that name."""


def add_account(session: Session, name: str, role: str, password_hash: str) -> Account:
    """Store a new account.

    Raises:
        AccountError: An account of that name exists (disabled ones included).
    """
    if find_account(session, name) is not None:
        raise AccountExistsError(f"account {name!r} exists already; pick another name", "name")
    account = Account(name=name, role=role, password_hash=password_hash)
    session.add(account)
    try:
        session.flush()
    except IntegrityError:  # created by another process meanwhile
        raise AccountExistsError(
            f"account {name!r} exists already; pick another name", "name"
        ) from None
    return account


def find_account(session: Session, name: str) -> Account | None:
    """The account called ``name``, or ``None``."""
    return session.exec(select(Account).where(Account.name == name)).first()


def get_account(session: Session, name: str) -> Account:
    """The account called ``name``.

    Raises:
        AccountError: No such account.
    """
    account = find_account(session, name)
    if account is None:
        raise UnknownAccountError(f"no account {name!r}; see `dbtl user list`", "name")
    return account


def list_accounts(session: Session) -> list[Account]:
    """Every account, in the order they were created."""
    return list(session.exec(select(Account).order_by(col(Account.id))))


def disable_account(session: Session, name: str) -> Account:
    """Disable an account: it can no longer sign in, and its tokens stop working.

    Raises:
        AccountError: No such account.
    """
    account = get_account(session, name)
    account.disabled = True
    account.updated_at = utcnow()
    session.add(account)
    return account


def add_token(session: Session, name: str, token_sha256: str) -> ApiToken:
    """Store the hash of a new API token of account ``name``.

    Raises:
        AccountError: No such account, or it is disabled.
    """
    account = get_account(session, name)
    if account.disabled:
        raise AccountError(f"account {name!r} is disabled; it gets no new tokens", "name")
    token = ApiToken(account_id=account.id or 0, token_sha256=token_sha256)
    session.add(token)
    return token


def account_for_token(session: Session, token_sha256: str) -> Account | None:
    """The enabled account owning the token with this hash, or ``None``."""
    query = (
        select(Account)
        .join(ApiToken, col(ApiToken.account_id) == col(Account.id))
        .where(ApiToken.token_sha256 == token_sha256)
        .where(col(Account.disabled).is_(False))
    )
    return session.exec(query).first()


def add_account_event(
    session: Session, account: str, kind: str, actor: str, payload: dict[str, Any]
) -> AccountEvent:
    """Append the audit record of a change to ``account`` made by ``actor``."""
    event = AccountEvent(account=account, kind=kind, actor=actor, payload=payload)
    session.add(event)
    return event


def account_events(session: Session, limit: int, offset: int = 0) -> list[AccountEvent]:
    """The newest audit records of account changes, newest first."""
    query = select(AccountEvent).order_by(col(AccountEvent.id).desc()).offset(offset).limit(limit)
    return list(session.exec(query))
