"""``dbtl db check``: is a database a whole dbtl database at this version's schema?"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from datastore.engine import DEFAULT_URL
from lab.services.database import HealthReport
from lab.services.database import check as check_database

console = Console()
db_app = typer.Typer(help="Check (and upgrade) a dbtl database.", no_args_is_help=True)

Db = Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")]


@db_app.command("check")
def check(
    db: Db = DEFAULT_URL,
    upgrade: Annotated[
        bool, typer.Option("--upgrade", help="Migrate a sound but older schema to this version.")
    ] = False,
) -> None:
    """Check integrity (SQLite), schema revision and contents; change nothing unless --upgrade.

    Exit codes: 0 sound, 1 damaged, not a dbtl database, or outdated.
    """
    report = check_database(db, upgrade)
    print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def print_report(report: HealthReport) -> None:
    """One line per finding, then a verdict."""
    console.print(f"database {report.url}", highlight=False)
    console.print(f"  schema revision {report.revision} (this dbtl: {report.head})")
    if report.counts:
        console.print("  " + ", ".join(f"{n} {table}(s)" for table, n in report.counts.items()))
    for problem in report.problems:
        console.print(f"  [red]problem:[/red] {problem}", highlight=False)
    if report.ok:
        console.print("[green]ok[/green]: a sound dbtl database")
    else:
        console.print(
            "[red]not sound[/red]: restore it from a backup, or start a new one with another "
            "--db; `sqlite3 FILE .recover` may save the rows of a damaged SQLite file"
        )
