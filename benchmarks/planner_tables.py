"""Issue-3 benchmarks: the planner against published tables played as oracles.

``planner-suzuki``: the Suzuki–Miyaura screens (5760 and the 3696 subset),
molecule parameters encoded three ways, against random search.
``planner-tables``: other published tables, never used to choose defaults,
``bo`` with its defaults against random search.
``planner-transfer``: a related campaign (other nucleophiles) as prior tasks.

Tables are read from ``$DBTL_DATA_DIR`` (default ``/work/shared/data``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from benchmarks.planner_harness import (
    Encoding,
    Run,
    TableProblem,
    play,
    share_better,
    table_problem,
)
from benchmarks.registry import benchmark
from planner import Objective, Observation, suggest

DATA = Path(os.environ.get("DBTL_DATA_DIR", "/work/shared/data"))
SUZUKI_PARAMETERS = ["reactant_1", "reactant_2", "ligand", "base", "solvent"]


@dataclass(frozen=True)
class Config:
    """One planner configuration in a comparison."""

    label: str
    strategy: str
    encoding: Encoding = "onehot"
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """A table, its parameters and objective, and the campaign shape to play."""

    name: str
    path: str
    parameters: Sequence[str]
    objective: str
    budget: int
    batch: int
    direction: str = "maximize"


def read(path: str) -> pd.DataFrame:
    """A data table; empty cells stay empty strings in text columns ("nothing added")."""
    return pd.read_csv(DATA / path, keep_default_na=False)


def campaigns(
    target: TableProblem, config: Config, seeds: int, budget: int, batch: int
) -> list[Run]:
    """Play ``seeds`` campaigns of one configuration."""
    return [
        play(target, config.strategy, seed, budget, batch, config.options) for seed in range(seeds)
    ]


SUZUKI_CONFIGS = [
    Config("bo (one-hot, default)", "bo"),
    Config("bo-candidates, descriptors", "bo-candidates", "descriptors"),
    Config("bo-candidates, Morgan + Tanimoto", "bo-candidates", "morgan"),
    Config("random", "random"),
]


@benchmark("planner-suzuki")
def suzuki(console: Console, seeds: int = 20, budget: int = 30, batch: int = 5) -> None:
    """Best yield after 20 and 30 experiments on the Suzuki–Miyaura screens."""
    baselines = read("random_search_baselines.csv")
    for name in ("suzuki_miyaura_5760", "suzuki_miyaura_edbo_subset_3696"):
        table = read(f"suzuki_miyaura_perera2018/{name}.csv")
        title = f"{name}: best yield, {seeds} seeds, batch {batch}"
        out = Table(title=title)
        for column in (
            "planner",
            "median @20",
            "mean @20",
            "median @30",
            "mean @30",
            "s/batch",
            "max s",
        ):
            out.add_column(column, justify="right")
        for config in SUZUKI_CONFIGS:
            target = table_problem(
                table, SUZUKI_PARAMETERS, [Objective(name="yield")], config.encoding
            )
            runs = campaigns(target, config, seeds, budget, batch)
            at20 = [r.best_so_far("yield")[19] for r in runs]
            at30 = [r.best_so_far("yield")[budget - 1] for r in runs]
            seconds = [s for r in runs for s in r.seconds]
            out.add_row(
                config.label,
                f"{np.median(at20):.1f}",
                f"{np.mean(at20):.1f}",
                f"{np.median(at30):.1f}",
                f"{np.mean(at30):.1f}",
                f"{np.mean(seconds):.2f}",
                f"{np.max(seconds):.2f}",
            )
        exact = baselines[baselines["dataset"] == name].set_index("N_random_experiments")
        out.add_row(
            "random (exact expectation)",
            "",
            f"{exact.loc[20, 'expected_best_yield_random']:.1f}",
            "",
            f"{exact.loc[30, 'expected_best_yield_random']:.1f}",
            "",
            "",
        )
        console.print(out)


OTHER_TABLES = [
    Study(
        "EDBO+ Suzuki conversion",
        "edboplus_suzuki_conversion_selectivity/suzuki_B1_conversion_selectivity_352.csv",
        ["ligand", "base", "solvent", "ligand_equivalent"],
        "conversion_pct",
        30,
        5,
    ),
    Study(
        "EDBO+ Suzuki selectivity",
        "edboplus_suzuki_conversion_selectivity/suzuki_B1_conversion_selectivity_352.csv",
        ["ligand", "base", "solvent", "ligand_equivalent"],
        "selectivity_pct",
        30,
        5,
    ),
    *[
        Study(
            f"Reizman Suzuki case {case}",
            f"summit_emulator_data/reizman_suzuki_case_{case}.csv",
            ["catalyst", "t_res_s", "temperature_C", "catalyst_loading_molpct"],
            "yield_pct",
            15,
            3,
        )
        for case in (1, 2, 3, 4)
    ],
    Study(
        "Baumgartner aniline C–N",
        "summit_emulator_data/baumgartner_aniline_cn.csv",
        ["catalyst", "base", "base_equivalents", "temperature_C", "t_res_s"],
        "yield_frac",
        15,
        3,
    ),
    Study(
        "Olympus Suzuki",
        "olympus/olympus_suzuki.csv",
        ["temperature", "pd_mol", "arbpin", "k3po4"],
        "yield",
        20,
        4,
    ),
    Study(
        "Olympus fullerenes",
        "olympus/olympus_fullerenes.csv",
        ["reaction_time", "sultine", "temperature"],
        "product",
        20,
        4,
    ),
    Study(
        "Olympus SnAr impurity (min)",
        "olympus/olympus_snar.csv",
        ["residence_time", "ratio", "concentration", "temperature"],
        "impurity",
        15,
        3,
        "minimize",
    ),
]


@benchmark("planner-tables")
def other_tables(console: Console, seeds: int = 10) -> None:
    """``bo`` (defaults) against random search on tables not used to choose the defaults."""
    out = Table(
        title=f"Other published tables: {seeds} seeds each (share better = rank of best found)"
    )
    for column in (
        "table",
        "rows",
        "budget/batch",
        "bo median best",
        "random median best",
        "bo share better",
        "random share better",
        "bo s/batch",
    ):
        out.add_column(column, justify="right")
    for study in OTHER_TABLES:
        objective = Objective(name=study.objective, direction=study.direction)
        target = table_problem(read(study.path), study.parameters, [objective])
        values = np.array([v[study.objective] for v in target.outcomes.values()])
        row: dict[str, tuple[float, float]] = {}
        seconds: list[float] = []
        for strategy in ("bo", "random"):
            runs = campaigns(target, Config(strategy, strategy), seeds, study.budget, study.batch)
            bests = [r.best_so_far(study.objective, objective.sign)[-1] for r in runs]
            shares = [share_better(b, values, objective.sign) for b in bests]
            row[strategy] = (float(np.median(bests)), float(np.mean(shares)))
            if strategy == "bo":
                seconds = [s for r in runs for s in r.seconds]
        out.add_row(
            study.name,
            str(len(values)),
            f"{study.budget}/{study.batch}",
            f"{row['bo'][0]:.3g}",
            f"{row['random'][0]:.3g}",
            f"{100 * row['bo'][1]:.1f} %",
            f"{100 * row['random'][1]:.1f} %",
            f"{np.mean(seconds):.2f}",
        )
    console.print(out)


TRANSFER_PARAMETERS = ["precatalyst", "base", "base_equivalents", "temperature_C", "t_res_s"]


@benchmark("planner-transfer")
def transfer(console: Console, seeds: int = 10, budget: int = 10, batch: int = 2) -> None:
    """Each nucleophile optimized alone or with the other nucleophiles' results as tasks."""
    table = read("summit_emulator_data/baumgartner2019_all_campaigns.csv")
    out = Table(
        title=f"Baumgartner C–N couplings: best yield after {budget}, median of {seeds} seeds"
    )
    for column in ("target", "rows", "with transfer", "without", "random", "table best"):
        out.add_column(column, justify="right")
    whole = table_problem(table, TRANSFER_PARAMETERS, [Objective(name="yield_frac")])
    for nucleophile in sorted(table["nucleophile"].unique()):
        own = table[table["nucleophile"] == nucleophile]
        target = restricted(whole, own)
        prior = [
            Observation(
                _design(whole, r),
                {"yield_frac": float(r["yield_frac"])},
                task=str(r["nucleophile"]),
            )
            for _, r in table[table["nucleophile"] != nucleophile].iterrows()
        ]
        results = {
            label: np.median(
                [
                    _transfer_run(target, strategy, seed, budget, batch, extra)
                    for seed in range(seeds)
                ]
            )
            for label, strategy, extra in (
                ("with", "bo", prior),
                ("without", "bo", []),
                ("random", "random", []),
            )
        }
        out.add_row(
            nucleophile,
            str(len(target.outcomes)),
            f"{results['with']:.3f}",
            f"{results['without']:.3f}",
            f"{results['random']:.3f}",
            f"{max(v['yield_frac'] for v in target.outcomes.values()):.3f}",
        )
    console.print(out)


def restricted(whole: TableProblem, rows: pd.DataFrame) -> TableProblem:
    """The problem over ``whole``'s (wider) space with only ``rows`` as candidates."""
    from planner import CandidateSet, Problem
    from planner.sampling import design_key

    space = whole.problem.space
    designs = [_design(whole, r) for _, r in rows.iterrows()]
    candidates = CandidateSet(space, pd.DataFrame(designs, columns=space.names))
    keys = {design_key(d, space.names) for d in candidates.rows()}
    outcomes = {k: v for k, v in whole.outcomes.items() if k in keys}
    problem = Problem(space=space, objectives=whole.problem.objectives, candidates=candidates)
    return TableProblem(problem, outcomes)


def _design(whole: TableProblem, row: pd.Series) -> dict[str, Any]:
    space = whole.problem.space
    return space.validate_design(
        {
            p: (str(row[p]) if space.parameter(p).type == "categorical" else float(row[p]))
            for p in space.names
        }
    )


def _transfer_run(
    target: TableProblem,
    strategy: str,
    seed: int,
    budget: int,
    batch: int,
    prior: list[Observation],
) -> float:
    observations: list[Observation] = []
    while len(observations) < budget:
        proposal = suggest(target.problem, [*prior, *observations], [], batch, seed, strategy)
        observations += [
            Observation(s.parameters, target.measure(s.parameters)) for s in proposal.suggestions
        ]
    return max(o.values["yield_frac"] for o in observations)
