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
from datastore.engine import DEFAULT_URL
from lab.services import exports
from lab.services.exports import TableFormat

console = Console()


class TableName(StrEnum):
    """Tables of ``dbtl export-table``."""

    experiments = "experiments"
    events = "events"
    model_reports = "model-reports"


class TableFormatOption(StrEnum):
    """File formats of ``dbtl export-table``."""

    csv = "csv"
    parquet = "parquet"


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
    count = exports.table(Datastore(db), name, table.value, fmt_value, output)
    console.print(f"wrote {count} row(s) of {table.value} to {output}")
