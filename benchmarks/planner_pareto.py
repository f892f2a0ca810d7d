"""Issue-3 benchmark: two objectives (conversion and selectivity) on the EDBO+ Suzuki table."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.planner_harness import hypervolume_2d, play, table_problem
from benchmarks.planner_tables import read
from benchmarks.registry import benchmark
from planner import Objective

EDBO_PLUS = "edboplus_suzuki_conversion_selectivity/suzuki_B1_conversion_selectivity_352.csv"
OBJECTIVES = ("conversion_pct", "selectivity_pct")
REFERENCE = (0.0, 0.0)


@benchmark("planner-pareto")
def pareto(console: Console, seeds: int = 10, budget: int = 40, batch: int = 4) -> None:
    """Hypervolume (reference 0, 0) of the experiments run, after ``budget`` experiments."""
    table = read(EDBO_PLUS)
    target = table_problem(
        table,
        ["ligand", "base", "solvent", "ligand_equivalent"],
        [Objective(name=o) for o in OBJECTIVES],
    )
    everything = np.array([[v[o] for o in OBJECTIVES] for v in target.outcomes.values()])
    best_possible = hypervolume_2d(everything, REFERENCE)
    out = Table(
        title=f"EDBO+ Suzuki, conversion × selectivity: hypervolume after {budget} "
        f"experiments, {seeds} seeds, batch {batch}"
    )
    for column in ("strategy", "median HV", "mean HV", "median % of table front", "s/batch"):
        out.add_column(column, justify="right")
    for strategy in ("bo", "sobol", "random"):
        volumes, seconds = [], []
        for seed in range(seeds):
            run = play(target, strategy, seed, budget, batch)
            points = np.array([[v[o] for o in OBJECTIVES] for v in run.values])
            volumes.append(hypervolume_2d(points, REFERENCE))
            seconds += run.seconds
        out.add_row(
            strategy,
            f"{np.median(volumes):,.0f}",
            f"{np.mean(volumes):,.0f}",
            f"{100 * np.median(volumes) / best_possible:.1f} %",
            f"{np.mean(seconds):.2f}",
        )
    console.print(out)
    console.print(
        f"hypervolume of all {len(everything)} designs of the table: {best_possible:,.0f}"
    )
