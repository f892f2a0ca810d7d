"""Accounts and API tokens of the web app (:mod:`lab.review.accounts`; stored in ``datastore/``).

Roles are enforced by the web layer; these functions create, list, disable
and authenticate accounts. There are no default accounts.
"""

from __future__ import annotations

from datastore import Datastore
from lab.review import accounts as _accounts
from lab.review.accounts import Role, User

__all__ = [
    "Role",
    "User",
    "add",
    "authenticate",
    "disable",
    "for_token",
    "issue_token",
    "listing",
    "named",
]


def add(store: Datastore, name: str, role: str, password: str) -> User:
    """Create an account with ``role`` and ``password`` (hashed with argon2id).

    Raises:
        AccountError: Bad name, unknown role, empty password or a taken name; nothing stored.
    """
    return _accounts.add_user(store, name, role, password)


def issue_token(store: Datastore, name: str) -> str:
    """A new API token for account ``name``, returned once (only its hash is stored).

    Raises:
        AccountError: No such account, or it is disabled.
    """
    return _accounts.issue_token(store, name)


def listing(store: Datastore) -> list[tuple[User, bool]]:
    """Every account, with whether it is disabled."""
    return _accounts.list_users(store)


def disable(store: Datastore, name: str) -> None:
    """Disable account ``name``: it can no longer sign in and its tokens stop working.

    Raises:
        AccountError: No such account.
    """
    _accounts.disable_user(store, name)


def authenticate(store: Datastore, name: str, password: str) -> User | None:
    """The user if ``name`` is an enabled account with this password, else ``None``."""
    return _accounts.authenticate(store, name, password)


def for_token(store: Datastore, token: str) -> User | None:
    """The enabled account owning API token ``token``, or ``None``."""
    return _accounts.user_for_token(store, token)


def named(store: Datastore, name: str) -> User | None:
    """The enabled account called ``name`` (a signed session cookie's), or ``None``."""
    return _accounts.user_named(store, name)
