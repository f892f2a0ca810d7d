"""Tables of a campaign for people and for other tools (CSV, Parquet), streamed.

Three tables, each documented column by column in ``docs/exports.md``:

- experiments (:func:`write_experiments`): one row per experiment;
- events (:func:`write_events`): the audit log, one row per event;
- model reports (:func:`model_reports_table`): one row per planning cycle.

Experiments and events are written a page at a time (keyset pagination), so
memory stays bounded for any campaign; files appear only when complete.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlmodel import Session, col, select

from datastore.errors import DatastoreError
from datastore.models import Campaign
from datastore.provenance_models import PlanRecord
from datastore.stream import (
    EVENT_FIELDS,
    ExperimentFacts,
    event_pages,
    experiment_pages,
    snapshot_rows,
)

ExportFormat = Literal["csv", "parquet"]
FIXED_COLUMNS = ["id", "number", "cycle", "status"]
EVENT_COLUMNS = list(EVENT_FIELDS)


def experiment_row(e: ExperimentFacts, measurement_names: list[str] | None) -> dict[str, Any]:
    """One experiment's row: fixed columns, parameters, measurements (and predictions), error."""
    row: dict[str, Any] = {"id": e.id, "number": e.number, "cycle": e.cycle, "status": e.status}
    row.update(e.parameters)
    measured = {name: value for name, (value, _unit) in e.measurements.items()}
    if measurement_names is None:
        row.update(measured)
    else:
        for name in measurement_names:
            predicted = (e.predicted or {}).get(name) or {}
            row[name] = measured.get(name)
            row[f"{name}_predicted_mean"] = predicted.get("mean")
            row[f"{name}_predicted_sd"] = predicted.get("sd")
    row["error"] = e.error
    return row


def experiment_table(
    session: Session,
    campaign: Campaign,
    measurement_names: list[str] | None = None,
    numbers: Collection[int] | None = None,
) -> pd.DataFrame:
    """One row per experiment: id, number, cycle, status, parameters, then measurements.

    When ``measurement_names`` is given, each is followed by the planner's
    prediction for it, ``<name>_predicted_mean`` and ``<name>_predicted_sd``
    (empty when the planner made none), and the last column is ``error``.

    Args:
        session: Open session.
        campaign: The campaign to tabulate.
        measurement_names: Measurement columns to include, in order; all when ``None``.
        numbers: Only the experiments with these numbers (all when ``None``).
    """
    pages = experiment_pages(session, campaign.id or 0, with_events=False, numbers=numbers)
    rows = [experiment_row(e, measurement_names) for page in pages for e in page]
    frame = pd.DataFrame(rows)
    if measurement_names is not None and frame.empty:
        frame = pd.DataFrame(columns=[*FIXED_COLUMNS, *measurement_names, "error"])
    return frame


def write_experiments(
    session: Session,
    campaign: Campaign,
    measurement_names: list[str] | None,
    fmt: ExportFormat,
    path: Path,
    drop: Iterable[str] = ("number",),
) -> int:
    """Stream the experiments table to ``path``; return the number of rows written."""
    dropped = set(drop)

    def frames() -> Iterator[pd.DataFrame]:
        for page in experiment_pages(session, campaign.id or 0, with_events=False):
            rows = [experiment_row(e, measurement_names) for e in page]
            yield pd.DataFrame(rows).drop(columns=list(dropped), errors="ignore")

    header = [*FIXED_COLUMNS, *(measurement_names or []), "error"]
    empty = pd.DataFrame(columns=[c for c in header if c not in dropped])
    return write_frames(frames(), fmt, path, empty=empty)


def event_frame(events: list[dict[str, Any]]) -> pd.DataFrame:
    """The events as rows; ``created_at`` in ISO 8601, ``payload`` as compact JSON text."""
    rows = [
        {
            **e,
            "created_at": e["created_at"].isoformat(),
            "payload": json.dumps(e["payload"], sort_keys=True, separators=(",", ":")),
        }
        for e in events
    ]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS).astype({"experiment_id": "Int64"})


def write_events(session: Session, campaign_id: int, fmt: ExportFormat, path: Path) -> int:
    """Stream the campaign's events to ``path``; return the number of rows written."""
    frames = (event_frame(page) for page in event_pages(session, campaign_id))
    return write_frames(frames, fmt, path, empty=pd.DataFrame(columns=EVENT_COLUMNS))


def model_reports_table(session: Session, campaign_id: int) -> pd.DataFrame:
    """One row per cycle: the planner's report and how the cycle was planned."""
    plans = {
        p.cycle: p
        for p in session.exec(select(PlanRecord).where(col(PlanRecord.campaign_id) == campaign_id))
    }
    rows = []
    for snapshot in snapshot_rows(session, campaign_id):
        plan = plans.get(snapshot.cycle)
        row: dict[str, Any] = {
            "cycle": snapshot.cycle,
            "strategy": snapshot.strategy,
            "n_train": snapshot.n_train,
            "suggest_seconds": snapshot.suggest_seconds,
            "seed": plan.seed if plan else None,
            "options": json.dumps(plan.options, sort_keys=True) if plan else None,
            "training_size": plan.training_size if plan else None,
            "training_sha256": plan.training_sha256 if plan else None,
            "dbtl_version": plan.software.get("dbtl") if plan else None,
        }
        row.update(_flatten("diagnostics", snapshot.diagnostics))
        rows.append(row)
    return pd.DataFrame(rows)


def _flatten(prefix: str, value: Any) -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"prefix.a.b": 1}``; lists as JSON text."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(f"{prefix}.{key}", inner))
        return out
    if isinstance(value, list):
        return {prefix: json.dumps(value)}
    return {prefix: value}


def write_table(frame: pd.DataFrame, fmt: ExportFormat, path: Path) -> Path:
    """Write ``frame`` as CSV or Parquet, atomically (a temp file renamed into place).

    Raises:
        DatastoreError: Unknown format or unwritable path.
    """
    write_frames(iter([frame]), fmt, path, empty=frame)
    return path


def write_frames(
    frames: Iterator[pd.DataFrame],
    fmt: ExportFormat,
    path: Path,
    empty: pd.DataFrame | None = None,
) -> int:
    """Write frames (one page each) to one CSV or Parquet file; return the rows written.

    Every frame after the first is written with the first one's columns (and,
    for Parquet, its schema). The file appears only when complete.

    Raises:
        DatastoreError: Unknown format or unwritable path.
    """
    if fmt not in ("csv", "parquet"):
        raise DatastoreError(f"unknown export format {fmt!r}; allowed: csv, parquet")
    if not path.parent.exists():
        raise DatastoreError(f"cannot write {path}: folder {path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    writer = _write_csv if fmt == "csv" else _write_parquet
    try:
        rows = writer(frames, partial, pd.DataFrame() if empty is None else empty)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DatastoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return rows


def _write_csv(frames: Iterator[pd.DataFrame], target: Path, empty: pd.DataFrame) -> int:
    rows, columns = 0, None
    with target.open("w", newline="") as out:
        for frame in frames:
            columns = columns or list(frame.columns)
            frame.reindex(columns=columns).to_csv(out, index=False, header=rows == 0)
            rows += len(frame)
        if rows == 0:
            empty.to_csv(out, index=False)
    return rows


def _write_parquet(frames: Iterator[pd.DataFrame], target: Path, empty: pd.DataFrame) -> int:
    rows, writer, columns = 0, None, None
    try:
        for frame in frames:
            columns = columns or list(frame.columns)
            table = _arrow(frame.reindex(columns=columns), writer.schema if writer else None)
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema)
            writer.write_table(table)
            rows += len(frame)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        empty.to_parquet(target, index=False)
    return rows


def _arrow(frame: pd.DataFrame, schema: pa.Schema | None) -> pa.Table:
    if schema is not None:
        return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [  # an all-empty first page must not fix a column's type to null
        pa.field(f.name, pa.float64() if _numeric_name(f.name) else pa.string())
        if pa.types.is_null(f.type)
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def _numeric_name(name: str) -> bool:
    return not (name in ("error", "from_status", "to_status") or name.endswith("_status"))
