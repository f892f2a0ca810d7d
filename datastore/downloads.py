"""Downloads of the experiments table: CSV streamed, Parquet in batches (no ORM, no pandas).

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

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Text, cast
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from datastore.csv_fields import CsvFields
from datastore.exports import FIXED_COLUMNS
from datastore.models import Campaign, Experiment, Measurement
from datastore.raw_rows import driver_rows
from datastore.stream import PAGE_ROWS

DESIGN_ENTRIES = 20_000
"""Distinct designs a download keeps decoded before starting afresh (bounds memory)."""

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
    are those of the first page, as the file export takes them. The text is
    what ``csv.writer`` writes for the table's cells (:mod:`datastore.csv_fields`).
    """
    fields = CsvFields()
    if measurement_names is None:
        for header, cells in _pages_in_python(session, campaign.id or 0, page_rows):
            yield "".join(fields.row(r) for r in ([header] if header else []) + cells)
        return
    designs = _DesignCells()
    pages = _flat_pages(session, campaign.id or 0, measurement_names, page_rows, designs)
    for header, layout, rows in pages:
        head = fields.row(header) if header else ""
        yield head + layout.flat_csv(rows, designs, fields)


def write_experiment_parquet(
    session: Session,
    campaign: Campaign,
    measurement_names: list[str] | None,
    path: Path | BinaryIO,
    page_rows: int = PAGE_ROWS,
) -> int:
    """Write the experiments table (as :func:`experiment_csv_chunks`) as Parquet to ``path``.

    One row group per page, built with pyarrow from the page's columns; the
    types are the first page's (a column empty there is a float, or text for
    ``error`` and statuses). ``path`` is a file name or a binary file open
    for writing. Returns the number of rows written.
    """
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    count = 0
    try:
        for header, columns in column_pages(
            session, campaign.id or 0, measurement_names, page_rows
        ):
            inferred: list[Any] = []
            if schema is None:
                schema, inferred = _schema(header, columns)
                writer = pq.ParquetWriter(path, schema)
            arrays = inferred or [
                pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)
            ]
            assert writer is not None
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            count += len(columns[0]) if columns else 0
    finally:
        if writer is not None:
            writer.close()
    return count


def _schema(header: list[str], columns: list[list[Any]]) -> tuple[pa.Schema, list[pa.Array]]:
    """The types of the first page's columns, and those columns as arrays of them."""
    fields, arrays = [], []
    for name, values in zip(header, columns, strict=True):
        try:
            array = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed: kept as text
            array = pa.array(values, type=pa.string())
        if pa.types.is_null(array.type):
            text = name in ("error", "status") or name.endswith("_status")
            array = pa.array(values, type=pa.string() if text else pa.float64())
        fields.append(pa.field(name, array.type))
        arrays.append(array)
    return pa.schema(fields), arrays


def column_pages(
    session: Session, campaign_id: int, measurement_names: list[str] | None, page_rows: int
) -> Iterator[tuple[list[str], list[list[Any]]]]:
    """(header on the first page only, columns of cells) a page at a time; ``None`` is empty.

    With the outcome names known, measurements are columns of one query per
    page; otherwise every measurement found on the first page is a column. An
    empty campaign yields one empty page with the file export's header.
    """
    if measurement_names is None:
        for header, cells in _pages_in_python(session, campaign_id, page_rows):
            width = len(header) if header else len(cells[0]) if cells else 0
            yield header, [list(c) for c in zip(*cells, strict=True)] or [[]] * width
        return
    designs = _DesignCells()
    pages = _flat_pages(session, campaign_id, measurement_names, page_rows, designs)
    for header, layout, rows in pages:
        yield header, layout.flat_columns(rows, designs)


def _flat_pages(
    session: Session, campaign_id: int, names: list[str], page_rows: int, designs: _DesignCells
) -> Iterator[tuple[list[str], _Layout, list[tuple[Any, ...]]]]:
    """(header on the first page only, the layout, rows of :func:`_flat_query`) page by page.

    The parameters of the first page are the columns; an empty campaign
    yields one empty page with the file export's header.
    """
    connection = session.connection()
    query = _flat_query(campaign_id, names, page_rows)
    layout: _Layout | None = None
    last, first = 0, True
    while True:
        rows = driver_rows(connection, query.where(col(Experiment.number) > last))
        if layout is None:
            texts = dict.fromkeys(row[4] for row in rows)
            parameters = dict.fromkeys(k for text in texts for k in designs.design(text))
            layout = _Layout(list(parameters), names, True)
        if first or rows:
            header = layout.header() if rows else ["id", "cycle", "status", *names, "error"]
            yield (header if first else []), layout, rows
        first = False
        if len(rows) < page_rows:
            return
        last = int(rows[-1][1])  # the experiment's number: the key of the pages


def _flat_query(campaign_id: int, names: list[str], page_rows: int) -> Any:
    """One row per experiment: id, number, cycle, status, JSON, each measurement, error.

    Parameters and predictions come as JSON text, decoded in Python (SQLite
    prints a number it extracts from JSON with 15 significant digits); each
    measurement of ``names`` is a column of its own (a subquery on its
    unique index).
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


def _pages_in_python(
    session: Session, campaign_id: int, page_rows: int
) -> Iterator[tuple[list[str], list[list[Any]]]]:
    """The pages when the outcome names are unknown: every measurement found, as columns."""
    layout: _Layout | None = None
    for rows, measured in _pages(session, campaign_id, page_rows):
        header: list[str] = []
        if layout is None:
            layout = _Layout.of(rows, measured, None)
            header = layout.header()
        yield header, [layout.cells(row, measured.get(row[0], {})) for row in rows]
    if layout is None:
        yield ["id", *FIXED_COLUMNS[2:], "error"], []  # as the file export


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
    try:  # the C scanner without json.loads' wrappers: stored JSON has no padding
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError):
        return json.loads(text)  # raises the decoder's own error
    return value if end == len(text) else json.loads(text)


_SCAN = json.JSONDecoder().scan_once  # type: ignore[attr-defined]
"""Decodes one JSON value at an offset (what ``json.loads`` calls once it skipped spaces)."""


class _DesignCells:
    """Designs decoded once per distinct stored JSON text, their cells (and CSV) once per layout."""

    def __init__(self) -> None:
        self._designs: dict[str, dict[str, Any]] = {}
        self._cells: dict[str, list[Any]] = {}
        self._fields: dict[str, str] = {}

    def design(self, text: Any) -> dict[str, Any]:
        """The design stored as ``text`` (shared between equal texts: read-only)."""
        if not isinstance(text, str):
            return _json(text) or {}
        found = self._designs.get(text)
        if found is None:
            found = _json(text) or {}
            if len(self._designs) >= DESIGN_ENTRIES:
                self._designs.clear()
            self._designs[text] = found
        return found

    def cells(self, text: Any, parameters: list[str]) -> list[Any]:
        """The parameter cells of the design stored as ``text``, in ``parameters`` order."""
        if not isinstance(text, str):
            design = self.design(text)
            return [_cell(design.get(p)) for p in parameters]
        found = self._cells.get(text)
        if found is None:
            design = self.design(text)
            found = [_cell(design.get(p)) for p in parameters]
            if len(self._cells) >= DESIGN_ENTRIES:
                self._cells.clear()
            self._cells[text] = found
        return found

    def fields(self, text: Any, parameters: list[str], fields: CsvFields) -> str:
        """The parameter fields of the design stored as ``text`` as CSV (``parameters`` given)."""
        if not isinstance(text, str):
            return fields.joined(self.cells(text, parameters))
        found = self._fields.get(text)
        if found is None:
            found = fields.joined(self.cells(text, parameters))
            if len(self._fields) >= DESIGN_ENTRIES:
                self._fields.clear()
            self._fields[text] = found
        return found


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

    def flat_columns(self, rows: list[tuple[Any, ...]], designs: _DesignCells) -> list[list[Any]]:
        """The table's columns of rows of :func:`_flat_query` (which has the number second).

        Id, cycle, status, the parameters, each outcome's measurement and the
        prediction's mean and sd, then the error.
        """
        columns: list[list[Any]] = [[r[0] for r in rows], [r[2] for r in rows]]
        columns.append([r[3] for r in rows])
        cells = [designs.cells(r[4], self.parameters) for r in rows]
        columns += [[c[i] for c in cells] for i in range(len(self.parameters))]
        predicted = [_json(r[5]) or {} for r in rows]
        for index, name in enumerate(self.names, start=6):
            guesses = [p.get(name) or {} for p in predicted]
            columns.append([_cell(r[index]) for r in rows])
            columns.append([_cell(g.get("mean")) for g in guesses])
            columns.append([_cell(g.get("sd")) for g in guesses])
        columns.append([_cell(r[-1]) for r in rows])
        return columns

    def flat_csv(self, rows: list[tuple[Any, ...]], designs: _DesignCells, out: CsvFields) -> str:
        """The CSV lines of rows of :func:`_flat_query`: :meth:`flat_columns`, row by row."""
        field, names, parameters = out.field, self.names, self.parameters
        lines = []
        for row in rows:
            predicted = _json(row[5]) or {}
            parts = [field(row[0]), field(row[2]), field(row[3])]
            if parameters:
                parts.append(designs.fields(row[4], parameters, out))
            for index, name in enumerate(names, start=6):
                guess = predicted.get(name) or {}
                parts += (field(row[index]), field(guess.get("mean")), field(guess.get("sd")))
            parts.append(field(row[-1]))
            lines.append(",".join(parts))
        return "\n".join(lines) + "\n" if lines else ""


def _cell(value: Any) -> Any:
    """A value as the table holds it: missing (or NaN) as ``None`` (empty in CSV)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return value
