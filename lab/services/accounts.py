"""Accounts and API tokens of the web app (:mod:`lab.review.accounts`; stored in ``datastore/``).

Roles are enforced by the web layer; these functions create, list, disable
and authenticate accounts. There are no default accounts. Every change takes
an explicit :class:`~lab.services.actor.Actor` and stores an account event
naming it, with its source (``cli``, ``web``, ``api``) and, from a terminal,
the OS user; a password or token is never part of the event.
"""

from __future__ import annotations

from datastore import Datastore
from lab.review import accounts as _accounts
from lab.review.accounts import AccountChange, Role, User
from lab.services.actor import Actor

__all__ = [
    "AccountChange",
    "Role",
    "User",
    "add",
    "add_with_token",
    "authenticate",
    "disable",
    "for_token",
    "history",
    "issue_token",
    "listing",
    "named",
]


def add(store: Datastore, actor: Actor, name: str, role: str, password: str) -> User:
    """Create an account with ``role`` and ``password`` (hashed with argon2id).

    Args:
        store: The datastore.
        actor: Who creates it, and from where (named in the account event).
        name: The new account's name.
        role: viewer, operator, chemist or admin.
        password: Its initial password (never stored or recorded).

    Raises:
        AccountError: Bad name, unknown role, empty password or a taken name; nothing stored.
    """
    audit = {**actor.audit(), "initial": "password"}
    return _accounts.add_user(store, name, role, password, actor.name, audit)


def add_with_token(store: Datastore, actor: Actor, name: str, role: str) -> tuple[User, str]:
    """Create an account without a usable password and return it with its first API token.

    The password is random and never shown; the token is returned once (only
    its hash is stored). Both the creation and the token are audited as ``actor``'s, and
    both are stored in one transaction: never an account without its token.

    Raises:
        AccountError: Bad name, unknown role or a taken name; nothing stored.
    """
    return _accounts.add_user_with_token(store, name, role, actor.name, actor.audit())


def issue_token(store: Datastore, actor: Actor, name: str) -> str:
    """A new API token for account ``name``, returned once (only its hash is stored).

    Raises:
        AccountError: No such account, or it is disabled; nothing stored.
    """
    return _accounts.issue_token(store, name, actor.name, actor.audit())


def disable(store: Datastore, actor: Actor, name: str) -> None:
    """Disable account ``name``: it can no longer sign in and its tokens stop working.

    Raises:
        AccountError: No such account; nothing changed.
    """
    _accounts.disable_user(store, name, actor.name, actor.audit())


def listing(store: Datastore) -> list[tuple[User, bool]]:
    """Every account, with whether it is disabled."""
    return _accounts.list_users(store)


def history(store: Datastore, limit: int, offset: int = 0) -> list[AccountChange]:
    """The newest changes to accounts, newest first, each naming who made it."""
    return _accounts.account_history(store, limit, offset)


def authenticate(store: Datastore, name: str, password: str) -> User | None:
    """The user if ``name`` is an enabled account with this password, else ``None``."""
    return _accounts.authenticate(store, name, password)


def for_token(store: Datastore, token: str) -> User | None:
    """The enabled account owning API token ``token``, or ``None``."""
    return _accounts.user_for_token(store, token)


def named(store: Datastore, name: str) -> User | None:
    """The enabled account called ``name`` (a signed session cookie's), or ``None``."""
    return _accounts.user_named(store, name)
