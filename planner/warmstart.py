"""Prior results as observations: warm starts and related campaigns (transfer).

:func:`observations_from_table` reads a table (one experiment per row: the
parameter columns and the outcome columns) into observations. Callers read
the file (CSV, Parquet, a database export); this module only parses.

Results of the same campaign (earlier runs, a colleague's screen) become
ordinary observations. Results of a *related* campaign (another substrate,
another reactor) are labelled with a ``task``: model-based strategies then
learn how far they carry over instead of taking them at face value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from planner.errors import PlannerError
from planner.problem import Observation, Problem
from planner.space import coerce_value


def observations_from_table(
    problem: Problem,
    table: pd.DataFrame,
    task: str | None = None,
    outcomes: Sequence[str] | None = None,
) -> list[Observation]:
    """Parse prior results into observations.

    Every parameter of the problem needs a column; other columns that are not
    outcomes are ignored (notes, dates, identifiers). A row whose objective
    cells are all empty is a failed experiment (no value, never a zero).
    Values must lie in the parameters' domains; linear constraints and
    exclusions are not checked (they govern what to propose, and results of
    designs run before a rule was added still inform the model).

    Args:
        problem: The problem the results belong to (its space validates the designs).
        table: One experiment per row.
        task: ``None`` for results of this campaign; a label for a related one.
        outcomes: Outcome columns to read; by default the problem's objectives and
            constrained outcomes, of which at least the objectives must be present.

    Raises:
        PlannerError: A missing parameter or objective column, an outcome column
            that is not numeric, or a design the space does not allow (naming the
            row, counted from 1 as in a spreadsheet without its header).
    """
    names = list(outcomes) if outcomes is not None else problem.outcome_names
    _check_columns(problem, table, names, explicit=outcomes is not None)
    present = [n for n in names if n in table.columns]
    values = {n: _numeric(table[n], n).to_numpy() for n in present}
    observations = []
    for position, (_, row) in enumerate(table.iterrows()):
        design = _design(problem, row, position + 1)
        measured = {n: float(v[position]) for n, v in values.items() if math.isfinite(v[position])}
        failed = not any(o.name in measured for o in problem.objectives)
        observations.append(Observation(design, {} if failed else measured, failed, task))
    return observations


def _check_columns(
    problem: Problem, table: pd.DataFrame, names: Sequence[str], explicit: bool
) -> None:
    missing = [p for p in problem.space.names if p not in table.columns]
    if missing:
        raise PlannerError(
            f"prior results lack parameter column(s) {', '.join(missing)}; "
            f"the table has: {', '.join(map(str, table.columns))}"
        )
    required = names if explicit else problem.objective_names
    absent = [n for n in required if n not in table.columns]
    if absent:
        raise PlannerError(
            f"prior results lack outcome column(s) {', '.join(absent)}; "
            f"the table has: {', '.join(map(str, table.columns))}"
        )
    if table.empty:
        raise PlannerError("prior results table has no rows")


def _numeric(column: pd.Series, name: str) -> pd.Series:
    """The column as floats (empty cells NaN), or an error naming the first bad cell."""
    converted = pd.to_numeric(column, errors="coerce")
    bad = converted.isna() & column.notna() & (column.astype(str).str.strip() != "")
    if bad.any():
        position = int(bad.to_numpy().nonzero()[0][0])
        raise PlannerError(
            f"outcome column {name!r} is not numeric: row {position + 1} has "
            f"{column.iloc[position]!r}"
        )
    return converted.astype(float)


def _design(problem: Problem, row: pd.Series, number: int) -> dict[str, Any]:
    raw = {name: _plain(row[name]) for name in problem.space.names}
    blank = [name for name, value in raw.items() if _is_blank(value)]
    if blank:
        raise PlannerError(f"prior results row {number}: no value for {', '.join(blank)}")
    try:
        return {p.name: coerce_value(p, raw[p.name]) for p in problem.space.parameters}
    except ValueError as exc:
        raise PlannerError(f"prior results row {number}: {exc}") from None


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
