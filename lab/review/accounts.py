"""Accounts and roles of the web app and REST API: create, sign in, tokens, disable.

Roles are ordered: a viewer reads everything; an operator also pauses,
resumes and aborts campaigns and takes devices in and out of service; a
chemist also approves, edits and rejects proposals and settles experiments
that need attention; an admin also manages accounts. Passwords are hashed
with argon2id (``argon2-cffi``); API tokens are 32 random bytes from
:mod:`secrets`, shown once, and stored as their SHA-256.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from datastore import Datastore, Session
from datastore import accounts as account_repo
from datastore.account_models import Account
from datastore.accounts import AccountError
from lab.running.approvals import POLICY_PREFIX

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("no such account")  # equal work for unknown names


class Role(IntEnum):
    """What an account may do; each role may do everything of the roles below it."""

    viewer = 1
    operator = 2
    chemist = 3
    admin = 4

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role called ``text``.

        Raises:
            AccountError: Not a role.
        """
        try:
            return cls[text]
        except KeyError:
            names = "|".join(r.name for r in cls)
            raise AccountError(f"unknown role {text!r}; use one of {names}", "role") from None


@dataclass(frozen=True)
class User:
    """An authenticated account, as the web app sees it."""

    name: str
    role: Role

    def may(self, needed: Role) -> bool:
        """Whether this account's role includes ``needed``."""
        return self.role >= needed


def _user(account: Account) -> User:
    return User(account.name, Role[account.role])


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(
    store: Datastore,
    name: str,
    role: str,
    password: str,
    actor: str | None = None,
    audit: Mapping[str, str] | None = None,
) -> User:
    """Create an account.

    Args:
        store: The datastore.
        name: The new account's name.
        role: viewer, operator, chemist or admin.
        password: Its password (hashed with argon2id; never stored or shown).
        actor: Who creates it; with one, an audit event naming them is stored with it.
        audit: Added to the audit event (e.g. ``{"source": "api"}``).

    Raises:
        AccountError: Bad name, unknown role, empty password, or the name is taken;
            nothing is stored.
    """
    with store.session() as session:
        return _create(session, name, role, password, actor, audit)


def add_user_with_token(
    store: Datastore,
    name: str,
    role: str,
    actor: str | None = None,
    audit: Mapping[str, str] | None = None,
) -> tuple[User, str]:
    """Create an account without a usable password, and its first API token, in one transaction.

    The password is random and never shown; the token is returned once (only
    its hash is stored). Either both are stored or neither is. The creation's
    audit event records ``"initial": "token"``.

    Raises:
        AccountError: Bad name, unknown role, or the name is taken; nothing is stored.
    """
    with store.session() as session:
        created = {**(audit or {}), "initial": "token"}
        user = _create(session, name, role, secrets.token_urlsafe(32), actor, created)
        return user, _new_token(session, name, actor, dict(audit or {}))


def _create(
    session: Session,
    name: str,
    role: str,
    password: str,
    actor: str | None,
    audit: Mapping[str, str] | None,
) -> User:
    if not NAME_PATTERN.match(name) or name.startswith(POLICY_PREFIX):
        raise AccountError(
            f"account name {name!r}: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit",
            "name",
        )
    parsed = Role.parse(role)
    if not password.strip():
        raise AccountError("the password is empty; pipe it on stdin (--password-stdin)", "password")
    account = account_repo.add_account(session, name, parsed.name, _HASHER.hash(password))
    _audit(session, name, "created", actor, {"role": parsed.name, **(audit or {})})
    return _user(account)


def _new_token(session: Session, name: str, actor: str | None, audit: dict[str, str]) -> str:
    token = secrets.token_urlsafe(32)
    account_repo.add_token(session, name, hash_token(token))
    _audit(session, name, "token_issued", actor, audit)
    return token


def issue_token(
    store: Datastore, name: str, actor: str | None = None, audit: Mapping[str, str] | None = None
) -> str:
    """Make a new API token for account ``name``; return it (it is not stored, only its hash).

    With an ``actor``, an audit event naming them is stored with it (never the token).

    Raises:
        AccountError: No such account, or it is disabled.
    """
    with store.session() as session:
        return _new_token(session, name, actor, dict(audit or {}))


def list_users(store: Datastore) -> list[tuple[User, bool]]:
    """Every account with whether it is disabled."""
    with store.session() as session:
        return [(_user(a), a.disabled) for a in account_repo.list_accounts(session)]


def disable_user(
    store: Datastore, name: str, actor: str | None = None, audit: Mapping[str, str] | None = None
) -> None:
    """Disable account ``name`` (sign-in and its tokens stop working).

    With an ``actor``, an audit event naming them is stored with it.

    Raises:
        AccountError: No such account.
    """
    with store.session() as session:
        account_repo.disable_account(session, name)
        _audit(session, name, "disabled", actor, dict(audit or {}))


def account_history(store: Datastore, limit: int, offset: int = 0) -> list[AccountChange]:
    """The newest changes to accounts, newest first."""
    with store.session() as session:
        return [
            AccountChange(e.id or 0, e.account, e.kind, e.actor, dict(e.payload), e.created_at)
            for e in account_repo.account_events(session, limit, offset)
        ]


@dataclass(frozen=True)
class AccountChange:
    """One audited change to an account."""

    id: int
    account: str
    kind: str
    actor: str
    payload: dict[str, str]
    created_at: datetime


def _audit(
    session: Session, name: str, kind: str, actor: str | None, payload: dict[str, str]
) -> None:
    if actor is not None:
        account_repo.add_account_event(session, name, kind, actor, payload)


def authenticate(store: Datastore, name: str, password: str) -> User | None:
    """The user if ``name`` is an enabled account with password ``password``, else ``None``."""
    with store.session() as session:
        account = account_repo.find_account(session, name)
        stored = account.password_hash if account else _DUMMY_HASH
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if account is None or account.disabled:
            return None
        return _user(account)


def user_for_token(store: Datastore, token: str) -> User | None:
    """The enabled account owning API token ``token``, or ``None``."""
    with store.session() as session:
        account = account_repo.account_for_token(session, hash_token(token))
        return _user(account) if account else None


def user_named(store: Datastore, name: str) -> User | None:
    """The enabled account called ``name`` (for a signed session cookie), or ``None``."""
    with store.session() as session:
        account = account_repo.find_account(session, name)
        return _user(account) if account and not account.disabled else None
