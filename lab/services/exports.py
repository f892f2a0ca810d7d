"""Exports of a stored campaign: experiments, events (audit log) or model reports, as CSV/Parquet.

Tables are streamed page by page, so a campaign of any size exports in
bounded memory; column meanings are documented in ``docs/exports.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from datastore import Datastore
from datastore import repository as repo
from datastore.downloads import experiment_csv_chunks, write_experiment_parquet
from datastore.exports import model_reports_table, write_events, write_table
from datastore.ord_builder import VALIDATE_MODES, Validate
from datastore.ord_export import Curator
from lab.export.ord import export_ord
from lab.export.tables import TableFormat, export_experiments, outcome_names

__all__ = [
    "TABLES",
    "VALIDATE_MODES",
    "Table",
    "TableFormat",
    "Validate",
    "csv_stream",
    "experiments",
    "ord_dataset",
    "parquet",
    "table",
]

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


def csv_stream(store: Datastore, name: str) -> Iterator[str]:
    """Campaign ``name``'s experiments as CSV text, one chunk per page of rows, read lazily.

    The campaign is looked up now, so a missing one raises before the first
    chunk; the rows are read (in a session of their own) only as the chunks
    are taken, and memory holds one page. Columns: ``docs/exports.md``.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        repo.get_campaign(session, name)
    return _csv_chunks(store, name)


def _csv_chunks(store: Datastore, name: str) -> Iterator[str]:
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        yield from experiment_csv_chunks(session, campaign, outcome_names(campaign.spec_yaml))


def parquet(store: Datastore, name: str, output: Path) -> int:
    """Write campaign ``name``'s experiments (as :func:`csv_stream`) to a Parquet file.

    One row group per page of rows. Returns the number of rows written.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        names = outcome_names(campaign.spec_yaml)
        return write_experiment_parquet(session, campaign, names, output)


def ord_dataset(
    store: Datastore,
    name: str,
    output: Path,
    validate: Validate = "sample",
    contact_email: str | None = None,
) -> int:
    """Write one Open Reaction Database reaction per completed experiment of ``name``.

    Args:
        store: The datastore.
        name: The campaign.
        output: The dataset file to write.
        validate: Check ``all`` records, a ``sample`` (every distinct input, setup
            and conditions) or ``none`` (:mod:`datastore.ord_builder`).
        contact_email: The record creator's email (ORD requires one;
            ``dbtl-export@example.org`` if ``None``).

    Returns:
        How many reactions were written.

    Raises:
        NotFoundError: No such campaign.
        DatastoreError: A record fails validation (nothing is left written).
    """
    curator = Curator(email=contact_email) if contact_email else Curator()
    return export_ord(store, name, output, curator, validate)
