"""A CSV of published experiments as a benchmark: its parameters, objective and candidates.

Nothing here is specific to one table. The parameters are the columns the user
names (or, by default, every column that is not the objective, a SMILES
sibling, a row identifier or an alias of another column); each becomes

- a molecule choice when a ``<column>_smiles`` sibling exists (labels from the
  column, structures from the sibling);
- a discrete numeric parameter (ordinal levels) when it is numeric with at
  most :data:`MAX_DISCRETE_LEVELS` distinct values;
- a continuous range when it is numeric with more;
- a categorical choice otherwise.

The candidates are the table's distinct combinations (repeats averaged):
:class:`~simulators.experiment_table.ExperimentTable` replays them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from lab.bench.summary import Direction
from planner import (
    CategoricalParameter,
    FloatParameter,
    MoleculeParameter,
    OrdinalParameter,
    Parameter,
)
from simulators.experiment_table import (
    SMILES_SUFFIX,
    ExperimentTable,
    ExperimentTableError,
    ExperimentTableSpec,
    is_numeric_column,
    numeric_outcome,
    read_table,
    require_columns,
    typed_conditions,
)

MAX_DISCRETE_LEVELS = 12
"""Numeric columns with at most this many distinct values are discrete parameters."""

Encoding = Literal["onehot", "descriptors", "morgan"]


class DatasetError(Exception):
    """The table cannot serve as a benchmark (the message says why and how to fix it)."""


@dataclass(frozen=True)
class Dataset:
    """A table ready to be replayed: its parameters, objective and distinct designs."""

    path: Path
    objective: str
    direction: Direction
    parameters: tuple[Parameter, ...]
    columns: dict[str, str]
    """Parameter name → the table column it sets (names are made identifiers)."""
    table: ExperimentTable

    @property
    def values(self) -> np.ndarray:
        """The objective of every distinct design that has one."""
        return self.table.values(self.objective)

    @property
    def best(self) -> float:
        """The table's best objective value."""
        values = self.values
        return float(values.max() if self.direction == "maximize" else values.min())

    @property
    def worst(self) -> float:
        """The table's worst objective value."""
        values = self.values
        return float(values.min() if self.direction == "maximize" else values.max())

    def station_spec(self) -> ExperimentTableSpec:
        """How a station replays this table."""
        return self.table.spec


def load_dataset(
    path: Path,
    objective: str,
    *,
    minimize: bool = False,
    parameters: Sequence[str] | None = None,
    encoding: Encoding = "onehot",
) -> Dataset:
    """Read ``path`` and infer the benchmark problem it defines.

    Args:
        path: CSV file, one experiment per row.
        objective: The numeric column to optimize.
        minimize: Minimize the objective instead of maximizing it.
        parameters: Parameter columns; inferred when ``None``.
        encoding: How molecule parameters are featurized by model-based strategies.

    Raises:
        DatasetError: Missing or non-numeric objective, unknown or unusable
            parameter columns, missing values in a parameter column.
    """
    try:
        frame = read_table(path)
        require_columns(frame, [objective], "objective", path)
        numeric_outcome(frame, objective, path)
        names = list(parameters) if parameters is not None else default_parameters(frame, objective)
        _check_parameter_columns(frame, names, objective, path)
        typed = typed_conditions(frame, names, path)
        spec = ExperimentTableSpec(
            table=path.resolve(), parameters=tuple(names), outcomes=(objective,)
        )
        table = ExperimentTable.load(spec)
    except ExperimentTableError as exc:
        raise DatasetError(str(exc)) from None
    columns = {identifier(n): n for n in names}
    if len(columns) != len(names):
        raise DatasetError(f"parameter columns {', '.join(names)} clash once made identifiers")
    built = tuple(
        infer_parameter(frame, typed[column], name, column, encoding, path)
        for name, column in columns.items()
    )
    direction: Direction = "minimize" if minimize else "maximize"
    return Dataset(path.resolve(), objective, direction, built, columns, table)


def default_parameters(frame: pd.DataFrame, objective: str) -> list[str]:
    """Every column but the objective, SMILES siblings, row identifiers, aliases and constants."""
    chosen: list[str] = []
    for column in frame.columns:
        text = frame[column].str.strip()
        if column == objective or _is_smiles_sibling(frame, column):
            continue
        if text.nunique() < 2 or (text == "").any():
            continue
        if _is_identifier(text) or any(_is_alias(text, frame[c].str.strip()) for c in chosen):
            continue
        chosen.append(column)
    if not chosen:
        raise DatasetError(
            f"no column other than {objective!r} can be a parameter; name them with --params"
        )
    return chosen


def _is_smiles_sibling(frame: pd.DataFrame, column: str) -> bool:
    return column.endswith(SMILES_SUFFIX) and column.removesuffix(SMILES_SUFFIX) in frame.columns


def _is_identifier(text: pd.Series) -> bool:
    """A row number or a label unique to every row (not a condition)."""
    if text.nunique() < len(text):
        return False
    numbers = pd.to_numeric(text, errors="coerce")
    return bool(numbers.isna().all() or (numbers.notna().all() and (numbers % 1 == 0).all()))


def _is_alias(text: pd.Series, other: pd.Series) -> bool:
    """Whether ``text`` relabels ``other`` one to one (a code column next to a name column)."""
    pairs = pd.DataFrame({"a": text.to_numpy(), "b": other.to_numpy()}).drop_duplicates()
    return bool(pairs["a"].is_unique and pairs["b"].is_unique)


def _check_parameter_columns(
    frame: pd.DataFrame, names: Sequence[str], objective: str, path: Path
) -> None:
    if not names:
        raise DatasetError("--params names no column")
    if objective in names:
        raise DatasetError(f"{objective!r} is the objective; it cannot also be a parameter")
    doubled = sorted({n for n in names if list(names).count(n) > 1})
    if doubled:
        raise DatasetError(f"--params names {', '.join(doubled)} more than once")
    require_columns(frame, names, "parameter", path)
    for name in names:
        if frame[name].str.strip().nunique() < 2:
            raise DatasetError(
                f"parameter column {name!r} of {path} holds a single value; "
                "there is nothing to choose: leave it out of --params"
            )


def identifier(column: str) -> str:
    """A parameter name for a column: letters, digits and underscores, not starting with a digit."""
    name = re.sub(r"\W+", "_", column.strip()).strip("_") or "column"
    return f"p_{name}" if name[0].isdigit() else name


def infer_parameter(
    frame: pd.DataFrame,
    typed: pd.Series,
    name: str,
    column: str,
    encoding: Encoding,
    path: Path,
) -> Parameter:
    """The parameter a column defines (see the module docstring)."""
    smiles = f"{column}{SMILES_SUFFIX}"
    if smiles in frame.columns:
        return _molecule(frame, name, column, smiles, encoding, path)
    if is_numeric_column(typed.astype(str)):
        levels = sorted(float(v) for v in typed.unique())
        if len(levels) <= MAX_DISCRETE_LEVELS:
            return OrdinalParameter(name=name, levels=tuple(levels))
        return FloatParameter(name=name, bounds=(levels[0], levels[-1]))
    return CategoricalParameter(name=name, choices=tuple(sorted(typed.astype(str).unique())))


def _molecule(
    frame: pd.DataFrame, name: str, column: str, smiles: str, encoding: Encoding, path: Path
) -> MoleculeParameter:
    pairs = frame[[column, smiles]].apply(lambda c: c.str.strip()).drop_duplicates()
    doubled = pairs[pairs[column].duplicated(keep=False)]
    if not doubled.empty:
        label = doubled[column].iloc[0]
        raise DatasetError(
            f"column {column!r} of {path}: label {label!r} has several SMILES in {smiles!r} "
            f"({', '.join(doubled[doubled[column] == label][smiles])}); one structure per label"
        )
    try:
        return MoleculeParameter(
            name=name,
            choices=dict(zip(pairs[column], pairs[smiles], strict=True)),
            encoding=encoding,
        )
    except ValueError as exc:
        raise DatasetError(f"column {smiles!r} of {path}: {exc}") from None
