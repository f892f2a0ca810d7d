"""A pure harness for planner benchmarks: a lookup table plays the lab.

:func:`table_problem` turns a table of published experiments into a planner
problem whose candidates are the table's rows; :func:`play` runs a strategy
against it in a loop over :func:`planner.suggest`, the table answering each
proposal. Nothing here reads files or touches a datastore; the benchmark
modules read the tables and print the results.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from lab.bench.tables import DatasetError, infer_parameter
from planner import (
    CandidateSet,
    CategoricalParameter,
    MoleculeParameter,
    Objective,
    Observation,
    Parameter,
    Problem,
    SearchSpace,
    suggest,
)
from planner.sampling import design_key
from simulators.experiment_table import ExperimentTableError, typed_conditions

Encoding = Literal["onehot", "descriptors", "morgan"]


@dataclass(frozen=True)
class TableProblem:
    """A problem over a table's rows and the table's answer for each row."""

    problem: Problem
    outcomes: dict[tuple[str, ...], dict[str, float]]
    """Design key → measured outcomes (duplicated designs averaged)."""

    def measure(self, design: Mapping[str, Any]) -> dict[str, float]:
        """The table's outcomes for ``design``."""
        return self.outcomes[design_key(design, self.problem.space.names)]


def parameter_for(table: pd.DataFrame, name: str, encoding: Encoding) -> Parameter:
    """The parameter for a column, by the rules of ``dbtl bench`` (:mod:`lab.bench.tables`)."""
    text = table.fillna("").astype(str)
    where = Path(f"<table column {name}>")
    try:
        typed = typed_conditions(text, [name], where)[name]
        return infer_parameter(text, typed, name, name, encoding, where)
    except (ExperimentTableError, DatasetError) as exc:
        raise ValueError(str(exc)) from None


def table_problem(
    table: pd.DataFrame,
    parameters: Sequence[str],
    objectives: Sequence[Objective],
    encoding: Encoding = "descriptors",
) -> TableProblem:
    """Build the problem whose candidates are the table's distinct designs.

    Args:
        table: One experiment per row.
        parameters: Parameter columns (molecules need a ``<name>_smiles`` column).
        objectives: Objectives, named by their columns.
        encoding: Encoding of every molecule parameter.
    """
    space = SearchSpace(parameters=tuple(parameter_for(table, p, encoding) for p in parameters))
    names = [o.name for o in objectives]
    designs = table[list(parameters)].copy()
    for p in space.parameters:
        if isinstance(p, CategoricalParameter | MoleculeParameter):
            designs[p.name] = designs[p.name].astype(str)
        else:
            designs[p.name] = designs[p.name].astype(float)
    grouped = pd.concat([designs, table[names]], axis=1).groupby(list(parameters), sort=False)
    means = grouped[names].mean().reset_index()
    candidates = CandidateSet(space, means[list(parameters)])
    rows: list[dict[str, Any]] = candidates.table.assign(
        **{n: means[n].to_numpy() for n in names}
    ).to_dict(orient="records")  # type: ignore[assignment]
    outcomes = {design_key(row, space.names): {n: float(row[n]) for n in names} for row in rows}
    problem = Problem(space=space, objectives=tuple(objectives), candidates=candidates)
    return TableProblem(problem, outcomes)


@dataclass
class Run:
    """One campaign against a table: what was measured, and how long planning took."""

    values: list[dict[str, float]] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)

    def best_so_far(self, name: str, sign: float = 1.0) -> np.ndarray:
        """Best value of ``name`` after each experiment (sign -1 for minimized objectives)."""
        series = np.array([sign * v[name] for v in self.values])
        return sign * np.maximum.accumulate(series)


def play(
    target: TableProblem,
    strategy: str,
    seed: int,
    budget: int,
    batch: int,
    options: Mapping[str, Any] | None = None,
) -> Run:
    """Run ``strategy`` for ``budget`` experiments in batches, the table answering."""
    observations: list[Observation] = []
    run = Run()
    while len(observations) < budget:
        n = min(batch, budget - len(observations))
        started = time.perf_counter()
        proposal = suggest(target.problem, observations, [], n, seed, strategy, options)
        run.seconds.append(time.perf_counter() - started)
        for suggestion in proposal.suggestions:
            values = target.measure(suggestion.parameters)
            observations.append(Observation(suggestion.parameters, values))
            run.values.append(values)
    return run


def hypervolume_2d(points: np.ndarray, reference: Sequence[float]) -> float:
    """Area dominated by ``points`` (both objectives maximized) above ``reference``."""
    ref = np.asarray(reference, dtype=float)
    kept = points[np.all(points > ref, axis=1)]
    if not len(kept):
        return 0.0
    kept = kept[np.argsort(-kept[:, 0])]
    area, best_second = 0.0, ref[1]
    for first, second in kept:
        if second > best_second:
            area += (first - ref[0]) * (second - best_second)
            best_second = second
    return float(area)


def share_better(best: float, values: np.ndarray, sign: float = 1.0) -> float:
    """Share of the table's designs strictly better than ``best`` (0 = the optimum found)."""
    return float(np.mean(sign * values > sign * best))
