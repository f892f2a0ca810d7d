"""``dbtl user``: accounts of the web app and REST API (there are no default accounts)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from datastore import Datastore
from datastore.accounts import AccountError
from datastore.engine import DEFAULT_URL
from lab.services import accounts as account_service
from lab.services.actor import cli_actor

console = Console()
user_app = typer.Typer(help="Accounts of `dbtl serve`: add, token, list, disable.")

Db = Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")]
Name = Annotated[str, typer.Argument(help="Account name.", show_default=False)]


@user_app.command("add")
def add(
    name: Name,
    role: Annotated[
        str, typer.Option(help="viewer, operator, chemist or admin.", show_default=False)
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    db: Db = DEFAULT_URL,
) -> None:
    """Create an account; the password is read from stdin (never from the command line)."""
    if not password_stdin:
        raise AccountError("give --password-stdin and pipe the password in")
    password = sys.stdin.read().rstrip("\r\n")
    user = account_service.add(Datastore(db), cli_actor(), name, role, password)
    console.print(f"account {user.name} ({user.role.name}) created")


@user_app.command("token")
def token(name: Name, db: Db = DEFAULT_URL) -> None:
    """Print a new API token for the account, once (only its hash is stored)."""
    print(account_service.issue_token(Datastore(db), cli_actor(), name))


@user_app.command("list")
def list_(db: Db = DEFAULT_URL) -> None:
    """Every account with its role and whether it is disabled."""
    table = Table(title="Accounts")
    for column in ("name", "role", "state"):
        table.add_column(column)
    for user, disabled in account_service.listing(Datastore(db)):
        table.add_row(user.name, user.role.name, "disabled" if disabled else "active")
    console.print(table)


@user_app.command("disable")
def disable(name: Name, db: Db = DEFAULT_URL) -> None:
    """Disable an account: it can no longer sign in and its tokens stop working."""
    account_service.disable(Datastore(db), cli_actor(), name)
    console.print(f"account {name} disabled")
