"""A table of published experiments as an instrument: conditions in, outcomes out.

Any lookup table of experiments (one row per experiment, one column per
condition, one per measured outcome) can stand in for a lab: asked to run a
combination of conditions that the table holds, it answers with the table's
outcomes; asked for one it does not hold, it refuses. Repeated combinations
are averaged; rows without a value of an outcome do not count for it.

A condition column ``X`` with a sibling ``X_smiles`` is a molecule choice: the
labels are read from ``X``, the structures from ``X_smiles`` (an empty SMILES
cell means "nothing added", as in the Perera et al. Suzuki screen).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulators.data_files import resolve_table_path

SMILES_SUFFIX = "_smiles"


class ExperimentTableError(Exception):
    """The table cannot be read or does not fit its spec (the message says where)."""


class ConditionsNotInTableError(Exception):
    """A combination of conditions that the table does not hold."""


class ExperimentTableSpec(BaseModel):
    """Which table answers, which of its columns are conditions and which outcomes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: Path = Field(description="CSV file, relative to the lab file")
    parameters: tuple[str, ...] = Field(min_length=1, description="condition columns")
    outcomes: tuple[str, ...] = Field(min_length=1, description="numeric outcome columns")

    @model_validator(mode="after")
    def _disjoint(self) -> ExperimentTableSpec:
        both = sorted(set(self.parameters) & set(self.outcomes))
        if both:
            raise ValueError(f"column(s) {', '.join(both)} cannot be both parameter and outcome")
        for names, what in ((self.parameters, "parameters"), (self.outcomes, "outcomes")):
            if len(set(names)) != len(names):
                raise ValueError(f"{what} name a column twice")
        return self

    def resolved(self, base_dir: Path) -> ExperimentTableSpec:
        """Return the spec with ``table`` resolved against ``base_dir`` (or a ``package:`` path)."""
        return self.model_copy(update={"table": resolve_table_path(self.table, base_dir)})


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV with every cell as text (empty cells stay empty strings).

    Raises:
        ExperimentTableError: The file is missing, empty or not CSV.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ExperimentTableError(f"table {path} not found") from None
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ExperimentTableError(f"cannot read table {path}: {exc}") from None
    if frame.empty:
        raise ExperimentTableError(f"table {path} has no rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def require_columns(frame: pd.DataFrame, names: Sequence[str], what: str, path: Path) -> None:
    """Raise naming every column of ``names`` that ``frame`` lacks."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise ExperimentTableError(
            f"table {path} has no {what} column(s) {', '.join(missing)}; "
            f"its columns: {', '.join(frame.columns)}"
        )


def numeric_outcome(frame: pd.DataFrame, name: str, path: Path) -> pd.Series:
    """The outcome column as floats (empty cells NaN).

    Raises:
        ExperimentTableError: A non-empty cell is not a number, naming the first.
    """
    text = frame[name].str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = values.isna() & (text != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ExperimentTableError(
            f"outcome column {name!r} of {path} is not numeric: row {row + 2} holds "
            f"{frame[name].iloc[row]!r}; choose a numeric column"
        )
    if values.isna().all():
        raise ExperimentTableError(f"outcome column {name!r} of {path} has no values")
    return values.astype(float)


def is_numeric_column(column: pd.Series) -> bool:
    """Whether every cell of a text column is a number."""
    return bool(pd.to_numeric(column.str.strip(), errors="coerce").notna().all())


def typed_conditions(frame: pd.DataFrame, names: Sequence[str], path: Path) -> pd.DataFrame:
    """The condition columns, numeric ones as floats and the others as text.

    Raises:
        ExperimentTableError: A condition column has missing cells (rows named).
    """
    out = {}
    for name in names:
        text = frame[name].str.strip()
        empty = np.flatnonzero((text == "").to_numpy())
        if len(empty):
            rows = ", ".join(str(r + 2) for r in empty[:5]) + (" ..." if len(empty) > 5 else "")
            raise ExperimentTableError(
                f"parameter column {name!r} of {path} has {len(empty)} missing value(s) "
                f"(file lines {rows}); fill them or leave the column out of the parameters"
            )
        out[name] = text.astype(float) if is_numeric_column(text) else text
    return pd.DataFrame(out)


def condition_key(values: Sequence[Any]) -> tuple[str, ...]:
    """Hashable key of one combination: numbers by value, text as it is."""
    return tuple(_canonical(v) for v in values)


def _canonical(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(float(value))
    return str(value).strip()


class ExperimentTable:
    """The distinct combinations of a table with their (averaged) outcomes."""

    def __init__(self, spec: ExperimentTableSpec, designs: pd.DataFrame, outcomes: pd.DataFrame):
        """Use :meth:`load`; ``designs`` and ``outcomes`` are row-aligned."""
        self.spec = spec
        self.designs = designs
        self.outcomes = outcomes
        keys = [condition_key(row) for row in designs.itertuples(index=False)]
        self._rows = {key: i for i, key in enumerate(keys)}

    @classmethod
    def load(cls, spec: ExperimentTableSpec) -> ExperimentTable:
        """Read ``spec.table`` and average the outcomes per combination of conditions.

        Raises:
            ExperimentTableError: Unreadable file, missing columns, a missing
                condition value, or a non-numeric outcome.
        """
        return _load(spec)

    def __len__(self) -> int:
        return len(self.designs)

    def lookup(self, conditions: Mapping[str, Any]) -> dict[str, float]:
        """The table's outcomes for ``conditions`` (NaN where the table has no value).

        Raises:
            ConditionsNotInTableError: The combination is not in the table, or a
                condition is missing.
        """
        missing = [n for n in self.spec.parameters if n not in conditions]
        if missing:
            raise ConditionsNotInTableError(f"conditions lack {', '.join(missing)}")
        key = condition_key([conditions[n] for n in self.spec.parameters])
        row = self._rows.get(key)
        if row is None:
            shown = ", ".join(f"{n}={conditions[n]!r}" for n in self.spec.parameters)
            raise ConditionsNotInTableError(f"the table holds no experiment with {shown}")
        return {n: float(self.outcomes[n].iloc[row]) for n in self.spec.outcomes}

    def values(self, outcome: str) -> np.ndarray:
        """Every combination's value of ``outcome`` (combinations without one left out)."""
        column = self.outcomes[outcome].to_numpy(dtype=float)
        return column[~np.isnan(column)]


@lru_cache(maxsize=8)
def _load(spec: ExperimentTableSpec) -> ExperimentTable:
    frame = read_table(spec.table)
    require_columns(frame, spec.parameters, "parameter", spec.table)
    require_columns(frame, spec.outcomes, "outcome", spec.table)
    outcomes = pd.DataFrame({n: numeric_outcome(frame, n, spec.table) for n in spec.outcomes})
    conditions = typed_conditions(frame, spec.parameters, spec.table)
    grouped = pd.concat([conditions, outcomes], axis=1).groupby(
        list(spec.parameters), sort=False, dropna=False
    )
    means = grouped[list(spec.outcomes)].mean().reset_index()
    means = means.dropna(how="all", subset=list(spec.outcomes)).reset_index(drop=True)
    return ExperimentTable(
        spec, means[list(spec.parameters)], means[list(spec.outcomes)].astype(float)
    )
