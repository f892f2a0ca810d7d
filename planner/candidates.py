"""Finite candidate sets: a table of the designs that may be proposed.

An HTE plate layout or a published screen allows only some combinations of
parameter values. A candidate set holds them as rows; strategies choose rows
and never propose a design outside the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InfeasibleSpaceError, PlannerError
from planner.space import ParameterValue, SearchSpace, choices_of, coerce_value


class CandidateSet:
    """Validated, de-duplicated rows of allowed designs (columns = parameter names).

    Rows that one of the space's exclusions forbids are dropped; a row outside
    a parameter's domain or breaking a linear constraint is an error.
    """

    def __init__(self, space: SearchSpace, table: pd.DataFrame) -> None:
        """Check ``table`` against ``space``.

        Raises:
            PlannerError: Missing or unknown columns, missing values, or a value
                (or row) the space does not allow; the message names the culprit.
        """
        self.space = space
        self.table = _validated(space, table)
        self._rows: list[dict[str, ParameterValue]] = self.table.to_dict(orient="records")  # type: ignore[assignment]
        # design key -> row number, built once: no later call re-keys every row
        self._index = {self.key(row): i for i, row in enumerate(self._rows)}

    def __len__(self) -> int:
        return len(self.table)

    def rows(self) -> list[dict[str, ParameterValue]]:
        """Every candidate as a design (do not modify)."""
        return self._rows

    def key(self, design: Mapping[str, Any]) -> tuple[str, ...]:
        """Hashable key of a design, comparable across candidates and observations."""
        return tuple(repr(design[name]) for name in self.space.names)

    def position(self, design: Mapping[str, Any]) -> int | None:
        """Row number of ``design`` in the table, or ``None`` if it is not a candidate."""
        return self._index.get(self.key(design))

    def available(self, used: Iterable[Mapping[str, Any]]) -> list[int]:
        """Row numbers of candidates not in ``used`` (designs that are not candidates are ignored).

        Only the used designs are keyed; the candidates' keys were computed once.
        """
        free = np.ones(len(self._rows), dtype=bool)
        taken = [self._index.get(self.key(d)) for d in used]
        free[[i for i in taken if i is not None]] = False
        return np.flatnonzero(free).tolist()


def _validated(space: SearchSpace, table: pd.DataFrame) -> pd.DataFrame:
    names = space.names
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise PlannerError(
            f"candidate table lacks column(s) {', '.join(missing)}; "
            f"it has: {', '.join(map(str, table.columns))}"
        )
    unknown = [str(c) for c in table.columns if c not in names]
    if unknown:
        raise PlannerError(
            f"candidate table has unknown column(s) {', '.join(unknown)}; "
            f"parameters are: {', '.join(names)}"
        )
    if table.empty:
        raise PlannerError("candidate table has no rows")
    holes = table[names].isna()
    if holes.any().any():
        row, column = next((r, c) for r, c in zip(*holes.to_numpy().nonzero(), strict=True))
        raise PlannerError(
            f"candidate table has a missing value in column {names[column]!r}, row {int(row) + 1}"
        )
    records = [
        _coerced_row(space, record, i)
        for i, record in enumerate(table[names].to_dict(orient="records"), start=1)
    ]
    allowed = [row for row in records if space.exclusion_hit(row) is None]
    if not allowed:
        raise PlannerError(
            f"the space's exclusions rule out all {len(records)} rows of the candidate table"
        )
    return pd.DataFrame(allowed, columns=names).drop_duplicates(ignore_index=True)


def _coerced_row(space: SearchSpace, record: Mapping[Any, Any], number: int) -> dict[str, Any]:
    try:
        row = {p.name: coerce_value(p, _plain(record[p.name])) for p in space.parameters}
    except ValueError as exc:
        raise PlannerError(f"candidate table row {number}: {exc}") from None
    broken = [c.text for c in space.constraints if not c.is_satisfied(row)]
    if broken:
        raise PlannerError(f"candidate table row {number} violates constraint {broken[0]}")
    return row


def _plain(value: Any) -> Any:
    """Numpy scalars to Python scalars."""
    return value.item() if hasattr(value, "item") else value


def candidate_designs(
    candidates: CandidateSet, rows: Sequence[int]
) -> list[dict[str, ParameterValue]]:
    """Designs of the given row numbers."""
    all_rows = candidates.rows()
    return [all_rows[i] for i in rows]


def batch_groups(
    candidates: CandidateSet, rows: Sequence[int], names: Sequence[str]
) -> dict[tuple[str, ...], list[int]]:
    """Group row numbers by their values of ``names`` (fixed-per-batch parameters)."""
    all_rows = candidates.rows()
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in rows:
        groups.setdefault(tuple(repr(all_rows[i][n]) for n in names), []).append(i)
    return groups


def enumerate_space(space: SearchSpace, limit: int) -> CandidateSet | None:
    """Every design of a discrete space as a candidate set (``None`` above ``limit`` designs).

    Designs breaking a linear constraint or hit by an exclusion are left out.

    Raises:
        InfeasibleSpaceError: The constraints and exclusions leave no design.
    """
    if not space.is_discrete or space.discrete_size() > limit:
        return None
    levels = [choices_of(p) for p in space.parameters]
    rows = [
        design
        for design in (dict(zip(space.names, combo, strict=True)) for combo in product(*levels))
        if space.satisfies_constraints(design)
    ]
    if not rows:
        raise InfeasibleSpaceError("no design of the discrete space satisfies its constraints")
    return CandidateSet(space, pd.DataFrame(rows, columns=space.names))
