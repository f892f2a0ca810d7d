"""Issue-3 benchmark: how long one planning call takes, and how it grows with observations.

- ``bo`` on Ax over a 6-D mixed space (three ranges, an integer, a
  categorical, an ordinal, a linear constraint), batch 8;
- ``bo`` over the 5760 Suzuki candidates, batch 96;
- ``bo`` over a table of 103,680 candidates (the 5760 screen × 18
  temperatures), batch 8.

Each row is one call after a warm-up call (imports and compiled kernels
excluded), with torch on one thread (the strategies' default).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from benchmarks.planner_harness import table_problem
from benchmarks.planner_tables import SUZUKI_PARAMETERS, read
from benchmarks.registry import benchmark
from planner import (
    CandidateSet,
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    LinearConstraint,
    Objective,
    Observation,
    OrdinalParameter,
    Problem,
    SearchSpace,
    suggest,
)
from planner.catalog import get_strategy
from planner.threads import configure_process_threads

SOLVENT_EFFECT = {"MeCN": 0.0, "THF": 0.3, "DMF": -0.2, "MeOH": 0.1}


def mixed_problem() -> Problem:
    """Six parameters of four kinds and a linear constraint."""
    return Problem(
        space=SearchSpace(
            parameters=(
                FloatParameter(name="temperature_c", bounds=(20, 120)),
                FloatParameter(name="time_min", bounds=(1, 60), log_scale=True),
                FloatParameter(name="equivalents", bounds=(1, 5)),
                IntParameter(name="stir_level", bounds=(1, 10)),
                CategoricalParameter(name="solvent", choices=tuple(SOLVENT_EFFECT)),
                OrdinalParameter(name="loading_molpct", levels=(0.5, 1.0, 2.0, 5.0)),
            ),
            constraints=(LinearConstraint.model_validate("equivalents + 0.05*temperature_c <= 8"),),
        ),
        objectives=(Objective(name="y"),),
    )


def mixed_response(d: Mapping[str, Any]) -> float:
    """A smooth response with a solvent effect and a small deterministic ripple as noise."""
    ripple = 0.02 * math.sin(37.0 * d["temperature_c"] + 11.0 * d["equivalents"])
    return (
        SOLVENT_EFFECT[d["solvent"]]
        - ((d["temperature_c"] - 80) / 50) ** 2
        - (math.log(d["time_min"]) - 2) ** 2 / 4
        - (d["equivalents"] - 2.5) ** 2 / 4
        + 0.1 * math.log(d["loading_molpct"])
        + 0.01 * d["stir_level"]
        + ripple
    )


def timed(call: Callable[[], object]) -> float:
    """Wall time of one call, in seconds."""
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


@benchmark("planner-latency")
def latency(console: Console) -> None:
    """Seconds per ``suggest`` call as observations grow."""
    out = Table(title="Planner latency per call (seconds), 2-core machine, torch on 1 thread")
    for column in ("problem", "strategy", "batch", "observations", "seconds"):
        out.add_column(column, justify="right")
    for count, seconds in mixed_space_latency(8, (50, 200, 1000)):
        out.add_row(
            "6-D mixed space, linear constraint", "bo (Ax)", "8", str(count), f"{seconds:.1f}"
        )
    table = read("suzuki_miyaura_perera2018/suzuki_miyaura_5760.csv")
    target = table_problem(table, SUZUKI_PARAMETERS, [Objective(name="yield")])
    problem, measure = target.problem, target.measure
    for count, seconds in candidate_latency(problem, measure, 96, (50, 200, 500, 1000)):
        out.add_row(
            "5,760 candidates (Suzuki)", "bo (candidates)", "96", str(count), f"{seconds:.1f}"
        )
    big, big_measure = widened(target.problem, target.measure)
    for count, seconds in candidate_latency(big, big_measure, 8, (200,)):
        out.add_row(
            f"{len(big.candidates or ()):,} candidates",
            "bo (candidates)",
            "8",
            str(count),
            f"{seconds:.1f}",
        )
    console.print(out)


def mixed_space_latency(batch: int, counts: tuple[int, ...]) -> list[tuple[int, float]]:
    """Seconds of ``bo`` on the mixed space after ``count`` Sobol observations."""
    problem = mixed_problem()
    rows = []
    for index, count in enumerate((10, *counts)):
        designs = suggest(problem, [], [], count, 0, "sobol").suggestions
        observations = [
            Observation(s.parameters, {"y": mixed_response(s.parameters)}) for s in designs
        ]
        seconds = timed(partial(suggest, problem, observations, [], batch, 0, "bo"))
        if index:  # the first call is the warm-up
            rows.append((count, seconds))
    return rows


def candidate_latency(
    problem: Problem,
    measure: Callable[[Mapping[str, Any]], dict[str, float]],
    batch: int,
    counts: tuple[int, ...],
) -> list[tuple[int, float]]:
    """Seconds of ``bo`` over a candidate set after ``count`` random observed rows."""
    assert problem.candidates is not None
    candidates = problem.candidates.rows()
    rng = np.random.default_rng(0)
    rows = []
    for index, count in enumerate((10, *counts)):
        chosen = rng.choice(len(candidates), size=count, replace=False)
        observations = [Observation(candidates[i], measure(candidates[i])) for i in chosen]
        seconds = timed(partial(suggest, problem, observations, [], batch, 0, "bo"))
        if index:
            rows.append((count, seconds))
    return rows


def widened(
    problem: Problem, measure: Callable[[Mapping[str, Any]], dict[str, float]]
) -> tuple[Problem, Callable[[Mapping[str, Any]], dict[str, float]]]:
    """The Suzuki table crossed with 18 temperatures (an optimum at 60 °C), as candidates."""
    temperatures = tuple(float(t) for t in range(25, 115, 5))
    space = SearchSpace(
        parameters=(
            *problem.space.parameters,
            OrdinalParameter(name="temperature_c", levels=temperatures),
        )
    )
    assert problem.candidates is not None
    base = problem.candidates.table
    table = base.merge(pd.DataFrame({"temperature_c": temperatures}), how="cross")
    wide = Problem(
        space=space, objectives=problem.objectives, candidates=CandidateSet(space, table)
    )

    def wide_measure(design: Mapping[str, Any]) -> dict[str, float]:
        inner = {k: v for k, v in design.items() if k != "temperature_c"}
        factor = 1.0 - ((design["temperature_c"] - 60.0) / 100.0) ** 2
        return {"yield": measure(inner)["yield"] * factor}

    return wide, wide_measure


LATENCY_CONFIGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("defaults (block, warp)", {}),
    ("previous (dim-scaled)", {"prior": "dim-scaled", "warp": False}),
    ("molecules: combined", {"molecules": "combined"}),
    ("molecules: auto (3 fits)", {"molecules": "auto"}),
)
"""Strategy options timed by ``planner-latency-batch5``."""


@benchmark("planner-latency-batch5")
def batch5_latency(console: Console) -> None:
    """Seconds per batch of 5 at 50 observations: 5,760 and 103,680 candidates, cold and warm.

    *cold*: a fresh ``bo-candidates`` object (what ``dbtl`` builds each
    cycle); *warm*: the same object that proposed at 45 observations proposes
    again at 50, its GP fits starting from the previous hyperparameters.
    Times are this process's CPU seconds (torch on one thread), the better
    of two calls, so that other work on shared cores does not count (the cold
    call's wall seconds are shown too, as measured on this machine); the last
    column times finding the free candidates with the keys cached against
    re-keying every row on each call (as before), as a ratio.
    """
    configure_process_threads(1)  # CPU seconds of spinning idle threads would count too
    out = Table(title="Suggest CPU seconds per batch of 5 at 50 observations, torch on 1 thread")
    columns = (
        "candidates",
        "options",
        "cold s",
        "warm s",
        "cold wall s",
        "free rows: cached/re-keyed",
    )
    for column in columns:
        out.add_column(column, justify="right")
    table = read("suzuki_miyaura_perera2018/suzuki_miyaura_5760.csv")
    target = table_problem(table, SUZUKI_PARAMETERS, [Objective(name="yield")], "onehot")
    problems = [(target.problem, target.measure), widened(target.problem, target.measure)]
    for problem, measure in problems:
        assert problem.candidates is not None
        rows = problem.candidates.rows()
        chosen = np.random.default_rng(0).choice(len(rows), size=50, replace=False)
        observations = [Observation(rows[i], measure(rows[i])) for i in chosen]
        key_ratio = free_rows_ratio(problem.candidates, observations)
        for label, options in LATENCY_CONFIGS:
            get_strategy("bo-candidates", options).suggest(problem, observations, [], 5, 9)
            cold, warm, wall = [], [], []
            for _ in range(2):
                fresh = get_strategy("bo-candidates", options)
                started = time.perf_counter()
                cold.append(cpu_timed(partial(fresh.suggest, problem, observations, [], 5, 0)))
                wall.append(time.perf_counter() - started)
                strategy = get_strategy("bo-candidates", options)
                strategy.suggest(problem, observations[:45], [], 5, 0)
                warm.append(cpu_timed(partial(strategy.suggest, problem, observations, [], 5, 0)))
            out.add_row(
                f"{len(rows):,}",
                label,
                f"{min(cold):.2f}",
                f"{min(warm):.2f}",
                f"{min(wall):.2f}",
                f"{key_ratio:.3f}",
            )
    console.print(out)


def cpu_timed(call: Callable[[], object]) -> float:
    """CPU seconds of this process during one call."""
    started = time.process_time()
    call()
    return time.process_time() - started


def free_rows_ratio(candidates: CandidateSet, observations: list[Observation]) -> float:
    """Time of :meth:`CandidateSet.available` over re-keying every row per call, in one run."""
    used = [o.parameters for o in observations]
    cached = timed(partial(candidates.available, used))

    def rekeyed() -> list[int]:
        taken = {candidates.key(d) for d in used}
        return [i for i, row in enumerate(candidates.rows()) if candidates.key(row) not in taken]

    assert rekeyed() == candidates.available(used)
    return cached / timed(rekeyed)
