"""The experiments table as CSV text, streamed a page at a time (no ORM objects, no pandas).

For downloads over HTTP: the first page's text is ready as soon as its rows
are read, and memory holds one page. Each page is two Core queries (the
experiments by keyset on their number, JSON columns read as text; then their
measurements). Columns and values are those of
:func:`datastore.exports.write_experiments` (``docs/exports.md``) without
``number``: ``id``, ``cycle``, ``status``, the parameters, each measurement
(followed by the planner's prediction when the outcome names are given),
then ``error``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Text, cast
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from datastore.exports import FIXED_COLUMNS
from datastore.models import Campaign, Experiment, Measurement
from datastore.stream import PAGE_ROWS

_ROW = (
    col(Experiment.id),
    col(Experiment.number),
    col(Experiment.cycle),
    col(Experiment.status),
    cast(col(Experiment.parameters), Text),
    cast(col(Experiment.predicted), Text),
    col(Experiment.error),
)


def experiment_csv_chunks(
    session: Session,
    campaign: Campaign,
    measurement_names: list[str] | None,
    page_rows: int = PAGE_ROWS,
) -> Iterator[str]:
    """Yield the campaign's experiments table as CSV text, one chunk per page of rows.

    The parameter (and, without ``measurement_names``, measurement) columns
    are those of the first page, as the file export takes them. With the
    outcome names known, every cell is computed in the database (JSON fields
    and measurements as columns of one query per page).
    """
    if measurement_names is None:
        yield from _chunks_in_python(session, campaign.id or 0, page_rows)
        return
    parameters, names = _parameter_names(session, campaign.id or 0, page_rows), measurement_names
    layout = _Layout(parameters, names, True)
    query = _flat_query(campaign.id or 0, measurement_names, page_rows)
    last, header = 0, layout.header()
    while True:
        rows = session.execute(query.where(col(Experiment.number) > last)).all()
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if header:  # an empty campaign: the file export's header of an empty table
            writer.writerow(header if rows else ["id", "cycle", "status", *names, "error"])
            header = []
        writer.writerows(layout.flat_cells(row) for row in rows)
        if buffer.tell():
            yield buffer.getvalue()
        if len(rows) < page_rows:
            return
        last = int(rows[-1][0])


def _parameter_names(session: Session, campaign_id: int, page_rows: int) -> list[str]:
    """Parameter names of the first page of experiments, in first-seen order."""
    query = (
        sa_select(cast(col(Experiment.parameters), Text))
        .where(col(Experiment.campaign_id) == campaign_id)
        .order_by(col(Experiment.number))
        .limit(page_rows)
    )
    return list(dict.fromkeys(k for (text,) in session.execute(query) for k in _json(text)))


def _flat_query(campaign_id: int, names: list[str], page_rows: int) -> Any:
    """One row per experiment: number, id, cycle, status, JSON, each measurement, error.

    Parameters and predictions come as JSON text; each measurement of
    ``names`` is a column of its own (a subquery on its unique index).

    JSON is decoded in Python: SQLite prints a number it extracts from JSON
    with 15 significant digits, which would lose precision.
    """
    m = Measurement.__table__  # type: ignore[attr-defined]
    columns: list[Any] = [*_ROW[:4], cast(col(Experiment.parameters), Text)]
    columns.append(cast(col(Experiment.predicted), Text))
    for name in names:
        value = sa_select(m.c.value).where(m.c.experiment_id == Experiment.id, m.c.name == name)
        columns.append(value.scalar_subquery())
    columns.append(col(Experiment.error))
    return (
        sa_select(*columns)
        .where(col(Experiment.campaign_id) == campaign_id)
        .order_by(col(Experiment.number))
        .limit(page_rows)
    )


def _chunks_in_python(session: Session, campaign_id: int, page_rows: int) -> Iterator[str]:
    """The table when the outcome names are unknown: every measurement found, as columns."""
    layout: _Layout | None = None
    for rows, measured in _pages(session, campaign_id, page_rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if layout is None:
            layout = _Layout.of(rows, measured, None)
            writer.writerow(layout.header())
        writer.writerows(layout.cells(row, measured.get(row[0], {})) for row in rows)
        yield buffer.getvalue()
    if layout is None:
        yield ",".join(["id", *FIXED_COLUMNS[2:], "error"]) + "\n"  # as the file export


def _pages(
    session: Session, campaign_id: int, page_rows: int
) -> Iterator[tuple[list[tuple[Any, ...]], dict[int, dict[str, float]]]]:
    """(experiment rows with parsed JSON, {id: {name: value}}) a page at a time."""
    last = 0
    while True:
        query = (
            sa_select(*_ROW)
            .where(col(Experiment.campaign_id) == campaign_id)
            .where(col(Experiment.number) > last)
            .order_by(col(Experiment.number))
            .limit(page_rows)
        )
        raw = session.execute(query).all()
        if not raw:
            return
        last = int(raw[-1][1])
        rows = [(*r[:4], _json(r[4]) or {}, _json(r[5]) or {}, r[6]) for r in raw]
        yield rows, _measurements(session, [int(r[0]) for r in raw])


def _json(text: Any) -> Any:
    if text is None or isinstance(text, dict):  # some drivers decode JSON themselves
        return text
    return json.loads(text)


def _measurements(session: Session, ids: list[int]) -> dict[int, dict[str, float]]:
    out: dict[int, dict[str, float]] = {}
    query = sa_select(
        col(Measurement.experiment_id), col(Measurement.name), col(Measurement.value)
    ).where(col(Measurement.experiment_id).in_(ids))
    for experiment_id, name, value in session.execute(query):
        out.setdefault(int(experiment_id), {})[name] = value
    return out


class _Layout:
    """The columns of the table, fixed by its first page."""

    def __init__(self, parameters: list[str], names: list[str], predictions: bool) -> None:
        self.parameters, self.names, self.predictions = parameters, names, predictions

    @classmethod
    def of(
        cls,
        rows: list[tuple[Any, ...]],
        measured: dict[int, dict[str, float]],
        names: list[str] | None,
    ) -> _Layout:
        parameters = list(dict.fromkeys(k for row in rows for k in row[4]))
        if names is not None:
            return cls(parameters, names, True)
        found = dict.fromkeys(n for row in rows for n in measured.get(row[0], {}))
        return cls(parameters, list(found), False)

    def header(self) -> list[str]:
        outcomes = [
            c
            for n in self.names
            for c in ((n, f"{n}_predicted_mean", f"{n}_predicted_sd") if self.predictions else (n,))
        ]
        return ["id", "cycle", "status", *self.parameters, *outcomes, "error"]

    def cells(self, row: tuple[Any, ...], measured: dict[str, float]) -> list[Any]:
        identity, _number, cycle, status, parameters, predicted, error = row
        cells = [identity, cycle, status, *(_cell(parameters.get(p)) for p in self.parameters)]
        for name in self.names:
            cells.append(_cell(measured.get(name)))
            if self.predictions:
                guess = predicted.get(name) or {}
                cells += [_cell(guess.get("mean")), _cell(guess.get("sd"))]
        cells.append(_cell(error))
        return cells

    def flat_cells(self, row: Any) -> list[Any]:
        """Cells of a row of :func:`_flat_query` (number first, which the table leaves out)."""
        parameters, predicted = _json(row[4]) or {}, _json(row[5]) or {}
        cells = [row[1], row[2], row[3], *(_cell(parameters.get(p)) for p in self.parameters)]
        for index, name in enumerate(self.names):
            guess = predicted.get(name) or {}
            cells += [_cell(row[6 + index]), _cell(guess.get("mean")), _cell(guess.get("sd"))]
        cells.append(_cell(row[-1]))
        return cells


def _cell(value: Any) -> Any:
    """A value as the CSV shows it: missing (or NaN) as empty."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value
