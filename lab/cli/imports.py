"""``dbtl import FILE.csv --campaign NAME``: prior results for a warm start (lab.services.imports).

Every row is checked against the campaign's space before anything is stored:
a row that does not fit (a missing or blank parameter, a value outside its
bounds or choices, an outcome that is not a number) is refused with its row
and column named, and nothing at all is stored. Accepted rows become
completed experiments of cycle 0 (failed when no objective was measured),
which the planner learns from at its next cycle; they count toward the
campaign's budget like any other experiment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from datastore import Datastore
from datastore.engine import DEFAULT_URL
from lab.services.actor import cli_actor
from lab.services.imports import import_file

console = Console()


def import_command(
    file: Annotated[Path, typer.Argument(help="CSV of prior results.", show_default=False)],
    campaign: Annotated[
        str, typer.Option("--campaign", help="Stored campaign to import into.", show_default=False)
    ],
    db: Annotated[
        str, typer.Option(envvar="DBTL_DB", help="SQLAlchemy URL of the datastore.")
    ] = DEFAULT_URL,
    by: Annotated[str, typer.Option(help="Who imports (recorded on each event).")] = "import",
) -> None:
    """Import prior results (one experiment per row) into a campaign for a warm start.

    Columns: every parameter of the campaign and its objectives (and any
    constrained outcomes); other columns are ignored. A row that does not fit
    the space is refused with its row and column, and nothing is stored.
    """
    count = import_file(Datastore(db), file, campaign, cli_actor(by))
    console.print(f"imported {count} result(s) from {file} into {campaign}")
