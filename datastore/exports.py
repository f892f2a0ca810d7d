"""Tables of a campaign for people and for other tools (CSV, Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pandas as pd
from sqlmodel import Session

from datastore import repository as repo
from datastore.errors import DatastoreError
from datastore.models import Campaign

ExportFormat = Literal["csv", "parquet"]
FIXED_COLUMNS = ["id", "number", "cycle", "status"]


def experiment_table(
    session: Session, campaign: Campaign, measurement_names: list[str] | None = None
) -> pd.DataFrame:
    """One row per experiment: id, number, cycle, status, parameters, then measurements.

    When ``measurement_names`` is given, each is followed by the planner's
    prediction for it, ``<name>_predicted_mean`` and ``<name>_predicted_sd``
    (empty when the planner made none), and the last column is ``error``.

    Args:
        session: Open session.
        campaign: The campaign to tabulate.
        measurement_names: Measurement columns to include, in order; all when ``None``.
    """
    experiments = repo.list_experiments(session, campaign.id or 0)
    values = repo.campaign_measurements(session, campaign.id or 0, measurement_names)
    rows = []
    for e in experiments:
        row: dict[str, Any] = {"id": e.id, "number": e.number, "cycle": e.cycle, "status": e.status}
        row.update(e.parameters)
        measured = values.get(e.id or 0, {})
        if measurement_names is None:
            row.update(measured)
        else:
            for name in measurement_names:
                predicted = (e.predicted or {}).get(name) or {}
                row[name] = measured.get(name)
                row[f"{name}_predicted_mean"] = predicted.get("mean")
                row[f"{name}_predicted_sd"] = predicted.get("sd")
        row["error"] = e.error
        rows.append(row)
    frame = pd.DataFrame(rows)
    if measurement_names is not None and frame.empty:
        frame = pd.DataFrame(columns=[*FIXED_COLUMNS, *measurement_names, "error"])
    return frame


def write_table(frame: pd.DataFrame, fmt: ExportFormat, path: Path) -> Path:
    """Write ``frame`` as CSV or Parquet, atomically (a temp file renamed into place).

    Raises:
        DatastoreError: Unknown format or unwritable path.
    """
    if fmt not in ("csv", "parquet"):
        raise DatastoreError(f"unknown export format {fmt!r}; allowed: csv, parquet")
    if not path.parent.exists():
        raise DatastoreError(f"cannot write {path}: folder {path.parent} does not exist")
    partial = path.with_name(path.name + ".partial")
    try:
        if fmt == "csv":
            frame.to_csv(partial, index=False)
        else:
            frame.to_parquet(partial, index=False)
        partial.replace(path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise DatastoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return path
