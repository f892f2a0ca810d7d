"""``dbtl user``: accounts with roles; bad input is one line, exit 2, nothing stored.

Also: decisions taken in a terminal record the OS user and the source ``cli``.
"""

from __future__ import annotations

import getpass
import io
import sys
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import accounts as account_repo
from datastore import repository as repo
from lab.review.accounts import Role, User, authenticate, hash_token, user_for_token
from lab.running.runner import run_campaign
from tests.lab.test_approvals import chemist_campaign
from tests.lab.test_cli import dbtl

ANA = User("ana", Role.chemist)


def add(monkeypatch, capsys, db: str, name: str, role: str, password: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    return dbtl(
        monkeypatch, capsys, "user", "add", name, "--role", role, "--password-stdin", "--db", db
    )


def accounts(db: str) -> list[tuple[str, str, bool]]:
    with Datastore(db).session() as session:
        return [(a.name, a.role, a.disabled) for a in account_repo.list_accounts(session)]


def test_add_token_list_disable(sqlite_url: str, monkeypatch, capsys) -> None:
    assert accounts(sqlite_url) == []  # no default accounts
    code, out = add(monkeypatch, capsys, sqlite_url, "ana", "chemist", "s3cret pass")
    assert code == 0 and "account ana (chemist) created" in out
    store = Datastore(sqlite_url)
    assert authenticate(store, "ana", "s3cret pass") == ANA
    assert authenticate(store, "ana", "wrong") is None
    with store.session() as session:
        stored = account_repo.get_account(session, "ana").password_hash
    assert stored.startswith("$argon2id$") and "s3cret" not in stored

    code, out = dbtl(monkeypatch, capsys, "user", "token", "ana", "--db", sqlite_url)
    token = out.strip()
    assert code == 0 and len(token) >= 40
    assert user_for_token(store, token) == ANA
    with store.session() as session:
        hashes = [t.token_sha256 for t in session.exec(account_repo.select(account_repo.ApiToken))]
    assert hashes == [hash_token(token)] and token not in hashes

    code, out = dbtl(monkeypatch, capsys, "user", "list", "--db", sqlite_url)
    assert code == 0 and "ana" in out and "chemist" in out and "active" in out

    code, out = dbtl(monkeypatch, capsys, "user", "disable", "ana", "--db", sqlite_url)
    assert code == 0 and accounts(sqlite_url) == [("ana", "chemist", True)]
    assert user_for_token(store, token) is None
    assert authenticate(store, "ana", "s3cret pass") is None


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("bob", "wizard", "pw", "unknown role 'wizard'; use one of viewer|operator|chemist|admin"),
        ("bob", "viewer", "", "the password is empty"),
        ("bob", "viewer", "   ", "the password is empty"),
        ("policy:auto", "viewer", "pw", "account name 'policy:auto'"),
        ("", "viewer", "pw", "account name ''"),
    ],
)
def test_bad_accounts_are_refused(
    sqlite_url: str, monkeypatch, capsys, name: str, role: str, password: str, message: str
) -> None:
    code, out = add(monkeypatch, capsys, sqlite_url, name, role, password)
    assert code == 2 and message in out and len(out.strip().splitlines()) == 1
    assert accounts(sqlite_url) == []


def test_duplicates_and_unknown_users_are_refused(sqlite_url: str, monkeypatch, capsys) -> None:
    assert add(monkeypatch, capsys, sqlite_url, "ana", "viewer", "one")[0] == 0
    code, out = add(monkeypatch, capsys, sqlite_url, "ana", "admin", "two")
    assert code == 2 and "account 'ana' exists already" in out
    assert accounts(sqlite_url) == [("ana", "viewer", False)]
    for command in ("token", "disable"):
        code, out = dbtl(monkeypatch, capsys, "user", command, "zoe", "--db", sqlite_url)
        assert code == 2 and "no account 'zoe'; see `dbtl user list`" in out
    code, out = dbtl(
        monkeypatch, capsys, "user", "add", "bob", "--role", "viewer", "--db", sqlite_url
    )
    assert code == 2 and "--password-stdin" in out
    assert accounts(sqlite_url) == [("ana", "viewer", False)]


def test_cli_decisions_record_the_os_user_and_source(
    store: Datastore, sqlite_url: str, examples: Path, monkeypatch, capsys
) -> None:
    run_campaign(store, chemist_campaign(examples), wait=False)
    with store.session() as session:
        ids = [e.id for e in repo.list_experiments(session, repo.get_campaign(session, "chem").id)]
    code, out = dbtl(monkeypatch, capsys, "approve", str(ids[0]), "--db", sqlite_url)
    assert code == 0, out
    code, out = dbtl(
        monkeypatch, capsys, "reject", str(ids[1]), "--reason", "no", "--by", "A. Chemist",
        "--db", sqlite_url,
    )  # fmt: skip
    assert code == 0, out
    with store.session() as session:
        decided = [
            e
            for e in repo.list_events(session, repo.get_campaign(session, "chem").id)
            if e.to_status in ("approved", "rejected")
        ]
    me = getpass.getuser()
    assert [(e.actor, e.payload["source"], e.payload["os_user"]) for e in decided] == [
        (me, "cli", me),
        ("A. Chemist", "cli", me),
    ]


def test_account_changes_in_a_terminal_are_audited_with_the_os_user(
    monkeypatch, capsys, tmp_path
) -> None:
    import io

    from datastore import Datastore
    from lab.cli.review import os_user
    from lab.review.accounts import account_history
    from tests.lab.test_cli import dbtl

    db = f"sqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a passphrase\n"))
    code, out = dbtl(monkeypatch, capsys, "user", "add", "ana", "--role", "chemist",
                     "--password-stdin", "--db", db)  # fmt: skip
    assert code == 0, out
    assert dbtl(monkeypatch, capsys, "user", "token", "ana", "--db", db)[0] == 0
    assert dbtl(monkeypatch, capsys, "user", "disable", "ana", "--db", db)[0] == 0
    history = account_history(Datastore(db), 10)
    assert [(c.kind, c.actor, c.payload["source"]) for c in history] == [
        ("disabled", os_user(), "cli"),
        ("token_issued", os_user(), "cli"),
        ("created", os_user(), "cli"),
    ]
    assert all("a passphrase" not in str(c.payload) for c in history)
