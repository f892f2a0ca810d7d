"""A published HTE table as an oracle for plate wells: reaction conditions in, yield out.

A high-throughput screen published as a table (one row per reaction, one
SMILES column per reagent role, an objective column) says what a well would
have given, provided the well holds one of the table's reactions. The lab file
declares how the table was run (:class:`YieldTableSpec`): which column is the
limiting reagent, at how many equivalents of it every other reagent was used,
which column is the reaction solvent, which species (a palladium source...)
every well contains though no column names it. :mod:`simulators.plate_conditions`
infers the conditions of a well from what it holds; :class:`YieldTable` looks
them up.

Repeated combinations are averaged. Readings carry optional additive noise
(``noise_sd``, in the objective's units) seeded by the read's key and the
well, so reading a plate again gives the same values; :meth:`YieldTable.truth`
is the noiseless value and :meth:`YieldTable.best` the known optimum.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulators.data_files import resolve_table_path

NOTHING_ADDED = ""
"""An empty SMILES cell: the table's reaction had nothing in this role."""


class YieldTableError(Exception):
    """The table cannot be read, or does not fit its spec."""


class ConditionsError(Exception):
    """A well's contents match no reaction of the table (the message says why)."""


class YieldTableSpec(BaseModel):
    """How a simulated plate reader answers from a published table (lab file: ``yield_table``).

    ``equivalents`` maps every other reagent column to the equivalents of the
    limiting reagent the table's reactions used (``null``: any amount).
    ``constant`` maps SMILES of species that every well holds though no
    column names them (e.g. the palladium source) to their equivalents.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: Path = Field(description="CSV file, relative to the lab file")
    objective: str = Field(default="yield", description="the table's column to report")
    quantity: str = Field(
        default="yield_pct",
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="name of the reading reported per well",
    )
    limiting: str = Field(description="SMILES column of the limiting reagent")
    equivalents: dict[str, float | None] = {}
    solvent: str | None = Field(default=None, description="SMILES column of the neat solvent")
    constant: dict[str, float | None] = {}
    tolerance_relative: float = Field(default=0.05, gt=0, le=1)
    noise_sd: float = Field(default=0.0, ge=0, description="reading noise, objective's units")

    @model_validator(mode="after")
    def _check(self) -> YieldTableSpec:
        roles = [self.limiting, *self.equivalents, *([self.solvent] if self.solvent else [])]
        repeated = sorted({c for c in roles if roles.count(c) > 1})
        if repeated:
            raise ValueError(f"column(s) {', '.join(repeated)} given more than one role")
        for name, value in [*self.equivalents.items(), *self.constant.items()]:
            if value is not None and not value > 0:
                raise ValueError(f"{name}: equivalents must be > 0 (or null: any amount)")
        return self

    def reagent_columns(self) -> list[str]:
        """The limiting reagent's column, then the other reagents' columns."""
        return [self.limiting, *self.equivalents]

    def key_columns(self) -> list[str]:
        """Every column that identifies a reaction: reagents, then the solvent."""
        return self.reagent_columns() + ([self.solvent] if self.solvent else [])

    def resolved(self, folder: Path) -> YieldTableSpec:
        """The spec with ``table`` made absolute from ``folder`` (see ``simulators.data_files``)."""
        return self.model_copy(update={"table": resolve_table_path(self.table, folder)})


@lru_cache(maxsize=4096)
def canonical_smiles(smiles: str) -> str:
    """RDKit's canonical form of ``smiles`` ("" stays "": nothing added).

    Raises:
        ValueError: RDKit cannot parse it.
    """
    if not smiles:
        return NOTHING_ADDED
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    molecule = Chem.MolFromSmiles(smiles)
    if molecule is None:
        raise ValueError(f"invalid SMILES {smiles!r}")
    return str(Chem.MolToSmiles(molecule))


class YieldTable:
    """A table's reactions by their canonical SMILES, with the objective of each."""

    def __init__(self, spec: YieldTableSpec, values: Mapping[tuple[str, ...], float]) -> None:
        """Wrap looked-up values (see :meth:`load`)."""
        self.spec = spec
        self.values = dict(values)
        columns = spec.key_columns()
        self.levels: dict[str, frozenset[str]] = {
            column: frozenset(key[i] for key in self.values) for i, column in enumerate(columns)
        }
        self._check_levels_disjoint()
        finite = list(self.values.values())
        self.range = (min(finite), max(finite))

    @classmethod
    def load(cls, spec: YieldTableSpec) -> YieldTable:
        """Read ``spec.table`` and average the objective per combination.

        Raises:
            YieldTableError: Unreadable file, a missing or non-SMILES column, or
                a non-numeric objective.
        """
        import pandas as pd

        try:
            frame = pd.read_csv(spec.table, dtype=str, keep_default_na=False)
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise YieldTableError(f"cannot read table {spec.table}: {exc}") from None
        columns = spec.key_columns()
        missing = [c for c in [*columns, spec.objective] if c not in frame.columns]
        if missing:
            raise YieldTableError(
                f"table {spec.table} has no column(s) {', '.join(missing)}; "
                f"it has: {', '.join(frame.columns)}"
            )
        objective = pd.to_numeric(frame[spec.objective], errors="coerce")
        if objective.isna().all():
            raise YieldTableError(f"column {spec.objective!r} of {spec.table} is not numeric")
        keys = frame[columns].apply(lambda column: column.map(_canonical_cell(column.name)))
        grouped = objective.groupby([keys[c] for c in columns], sort=False).mean().dropna()
        if grouped.empty:
            raise YieldTableError(f"table {spec.table} has no row with a value of {spec.objective}")
        index = [k if isinstance(k, tuple) else (k,) for k in grouped.index]
        return cls(spec, dict(zip(index, grouped.astype(float).tolist(), strict=True)))

    def truth(self, conditions: Mapping[str, str]) -> float:
        """The noiseless objective of the reaction with ``conditions`` (column → SMILES).

        Raises:
            ConditionsError: The table has no such reaction.
        """
        key = tuple(conditions[column] for column in self.spec.key_columns())
        if key not in self.values:
            described = ", ".join(f"{c}={conditions[c] or '(none)'}" for c in conditions)
            raise ConditionsError(f"the table has no reaction with {described}")
        return self.values[key]

    def observe(self, conditions: Mapping[str, str], key: str) -> float:
        """The objective with reading noise seeded by ``key``, kept within the table's range."""
        value = self.truth(conditions)
        if self.spec.noise_sd <= 0:
            return value
        seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        noisy = value + self.spec.noise_sd * float(np.random.default_rng(seed).standard_normal())
        return min(max(noisy, self.range[0]), self.range[1])

    def best(self) -> float:
        """The highest noiseless objective of the table."""
        return self.range[1]

    def _check_levels_disjoint(self) -> None:
        seen: dict[str, str] = {}
        for column in self.spec.reagent_columns():
            for smiles in self.levels[column] - {NOTHING_ADDED}:
                other = seen.setdefault(smiles, column)
                if other != column:
                    raise YieldTableError(
                        f"columns {other} and {column} share {smiles}; "
                        "a reader cannot tell their reagents apart"
                    )


def _canonical_cell(column: object) -> object:
    def convert(cell: str) -> str:
        try:
            return canonical_smiles(cell.strip())
        except ValueError as exc:
            raise YieldTableError(f"column {column}: {exc}") from None

    return convert
