"""Exports of a stored campaign: experiments, events (audit log) or model reports, as CSV/Parquet.

Tables are streamed page by page, so a campaign of any size exports in
bounded memory; column meanings are documented in ``docs/exports.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from datastore import Datastore
from datastore import repository as repo
from datastore.exports import model_reports_table, write_events, write_table
from lab.export.tables import TableFormat, export_experiments

__all__ = ["TABLES", "Table", "TableFormat", "experiments", "table"]

Table = Literal["experiments", "events", "model-reports"]
TABLES: tuple[Table, ...] = ("experiments", "events", "model-reports")


def experiments(store: Datastore, name: str, fmt: TableFormat, output: Path) -> int:
    """Write one row per experiment of campaign ``name`` to ``output``; return the row count.

    Raises:
        NotFoundError: No such campaign.
    """
    return export_experiments(store, name, fmt, output)


def table(store: Datastore, name: str, which: str, fmt: TableFormat, output: Path) -> int:
    """Write one table (:data:`TABLES`) of campaign ``name``; return the number of rows.

    Raises:
        NotFoundError: No such campaign.
        ValueError: ``which`` is not one of :data:`TABLES`.
    """
    if which not in TABLES:
        raise ValueError(f"table {which!r}: expected one of {', '.join(TABLES)}")
    if which == "experiments":
        return experiments(store, name, fmt, output)
    with store.session() as session:
        campaign_id = repo.get_campaign(session, name).id or 0
        if which == "events":
            return write_events(session, campaign_id, fmt, output)
        frame = model_reports_table(session, campaign_id)
    write_table(frame, fmt, output)
    return len(frame)
