"""``dbtl export-table NAME TABLE``: experiments, events or model reports as CSV/Parquet.

Column meanings are documented in ``docs/exports.md``. Tables are streamed, so
a campaign of any size exports in bounded memory.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from datastore import Datastore
from datastore import repository as repo
from datastore.engine import DEFAULT_URL
from datastore.exports import model_reports_table, write_events, write_table
from lab.exporting import TableFormat, export_experiments, outcome_names

console = Console()
__all__ = ["TableFormat", "export_experiments", "export_table", "outcome_names"]


class TableName(StrEnum):
    """Tables of ``dbtl export-table``."""

    experiments = "experiments"
    events = "events"
    model_reports = "model-reports"


class TableFormatOption(StrEnum):
    """File formats of ``dbtl export-table``."""

    csv = "csv"
    parquet = "parquet"


def export_table(store: Datastore, name: str, table: TableName, fmt: TableFormat, out: Path) -> int:
    """Write one table of campaign ``name``; return the number of rows."""
    if table is TableName.experiments:
        return export_experiments(store, name, fmt, out)
    with store.session() as session:
        campaign_id = repo.get_campaign(session, name).id or 0
        if table is TableName.events:
            return write_events(session, campaign_id, fmt, out)
        frame = model_reports_table(session, campaign_id)
    write_table(frame, fmt, out)
    return len(frame)


def export_table_command(
    name: Annotated[str, typer.Argument(help="Campaign name.", show_default=False)],
    table: Annotated[TableName, typer.Argument(help="Which table.", show_default=False)],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write.", show_default=False)
    ],
    fmt: Annotated[
        TableFormatOption, typer.Option("--format", "-f", help="File format.")
    ] = TableFormatOption.csv,
    db: Annotated[
        str, typer.Option(envvar="DBTL_DB", help="SQLAlchemy URL of the datastore.")
    ] = DEFAULT_URL,
) -> None:
    """Export a campaign's experiments, events (audit log) or model reports (one per cycle).

    Column meanings: docs/exports.md.
    """
    fmt_value: TableFormat = "csv" if fmt is TableFormatOption.csv else "parquet"
    count = export_table(Datastore(db), name, table, fmt_value, output)
    console.print(f"wrote {count} row(s) of {table.value} to {output}")
