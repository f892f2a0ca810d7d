"""The protocol that chooses the planner's defaults (``planner/PROTOCOL.md``), as a resumable run.

Every configuration of ``bo-candidates`` in :data:`CONFIGS` plays every
development table of :data:`DEV_TABLES` for the same seeds (paired: seed s
of one configuration starts where seed s of another does, as far as their
options allow). Each finished campaign is appended to a cache CSV at once, so
a killed run continues where it stopped; the report is computed from the
cache alone.

``python -m benchmarks.planner_protocol --cache protocol.csv --seeds 30``
runs (or resumes) and prints; ``--report`` only prints what the cache holds.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markdown import Markdown

from benchmarks.planner_harness import TableProblem, play, table_problem
from benchmarks.planner_molecule_tables import PARAMETERS as MOLECULE_TABLE_PARAMETERS
from benchmarks.planner_molecule_tables import molecule_descriptors
from benchmarks.planner_protocol_markdown import ProtocolReport, markdown
from benchmarks.planner_stand_ins import has_molecules, stand_in, with_stand_ins
from benchmarks.planner_tables import SUZUKI_PARAMETERS, read
from benchmarks.protocol_report import TableFacts, leave_one_table_out, table_summary
from benchmarks.registry import benchmark
from benchmarks.synthetic_tables import OBJECTIVE as SYNTHETIC_OBJECTIVE
from benchmarks.synthetic_tables import many_levels, with_interactions, zero_inflated
from planner import Objective
from planner.threads import configure_process_threads

BATCH = 5
"""Experiments per batch in every campaign of the protocol."""

CACHE_COLUMNS = ("table", "config", "seed", "budget", "batch", "values", "seconds")
"""One row per finished campaign; ``values`` and ``seconds`` are ``;``-joined."""


@dataclass(frozen=True)
class DevTable:
    """A development table: how to read it, its parameters, objective and budget."""

    name: str
    source: Callable[[], pd.DataFrame]
    parameters: Sequence[str]
    objective: str
    budget: int = 30
    direction: str = "maximize"

    def problem(self) -> TableProblem:
        """The table as a planner problem (one-hot molecules, as ``dbtl bench`` defaults)."""
        objective = Objective(name=self.objective, direction=self.direction)
        return table_problem(self.source(), self.parameters, [objective], "onehot")


def _shared(path: str) -> Callable[[], pd.DataFrame]:
    def load() -> pd.DataFrame:
        return read(path)

    return load


_EDBO = "edboplus_suzuki_conversion_selectivity/suzuki_B1_conversion_selectivity_352.csv"
_REIZMAN = ["catalyst", "t_res_s", "temperature_C", "catalyst_loading_molpct"]
_BAUMGARTNER = ["catalyst", "base", "base_equivalents", "temperature_C", "t_res_s"]
SMALL_BUDGET = 15
"""Budget on tables of fewer than 120 distinct rows (30 would measure a quarter of them)."""

_TABLES: tuple[DevTable, ...] = (
    DevTable(
        "suzuki_5760",
        _shared("suzuki_miyaura_perera2018/suzuki_miyaura_5760.csv"),
        SUZUKI_PARAMETERS,
        "yield",
    ),
    DevTable(
        "edbo_conversion",
        _shared(_EDBO),
        ["ligand", "base", "solvent", "ligand_equivalent"],
        "conversion_pct",
    ),
    DevTable(
        "synthetic_zero_inflated",
        zero_inflated,
        ["catalyst", "ligand", "base", "solvent", "temperature_c"],
        SYNTHETIC_OBJECTIVE,
    ),
    DevTable(
        "reizman_1",
        _shared("summit_emulator_data/reizman_suzuki_case_1.csv"),
        _REIZMAN,
        "yield_pct",
        SMALL_BUDGET,
    ),
    DevTable(
        "olympus_suzuki",
        _shared("olympus/olympus_suzuki.csv"),
        ["temperature", "pd_mol", "arbpin", "k3po4"],
        "yield",
    ),
    DevTable(
        "synthetic_interactions",
        with_interactions,
        ["ligand", "base", "solvent", "temperature_c"],
        SYNTHETIC_OBJECTIVE,
    ),
    DevTable(
        "baumgartner_aniline",
        _shared("summit_emulator_data/baumgartner_aniline_cn.csv"),
        _BAUMGARTNER,
        "yield_frac",
        SMALL_BUDGET,
    ),
    DevTable(
        "suzuki_3696",
        _shared("suzuki_miyaura_perera2018/suzuki_miyaura_edbo_subset_3696.csv"),
        SUZUKI_PARAMETERS,
        "yield",
    ),
    DevTable(
        "synthetic_many_levels",
        many_levels,
        ["additive", "catalyst", "solvent"],
        SYNTHETIC_OBJECTIVE,
    ),
    DevTable(
        "edbo_selectivity",
        _shared(_EDBO),
        ["ligand", "base", "solvent", "ligand_equivalent"],
        "selectivity_pct",
    ),
    DevTable(
        "olympus_fullerenes",
        _shared("olympus/olympus_fullerenes.csv"),
        ["reaction_time", "sultine", "temperature"],
        "product",
    ),
    DevTable(
        "olympus_alkox",
        _shared("olympus/olympus_alkox.csv"),
        ["catalase", "peroxidase", "alcohol_oxidase", "ph"],
        "conversion",
        SMALL_BUDGET,
    ),
    *(
        DevTable(
            f"reizman_{case}",
            _shared(f"summit_emulator_data/reizman_suzuki_case_{case}.csv"),
            _REIZMAN,
            "yield_pct",
            SMALL_BUDGET,
        )
        for case in (2, 3, 4)
    ),
    DevTable(
        "olympus_snar_impurity",
        _shared("olympus/olympus_snar.csv"),
        ["residence_time", "ratio", "concentration", "temperature"],
        "impurity",
        SMALL_BUDGET,
        "minimize",
    ),
    DevTable(
        "olympus_benzylation_impurity",
        _shared("olympus/olympus_benzylation.csv"),
        ["flow_rate", "ratio", "solvent", "temperature"],
        "impurity",
        SMALL_BUDGET,
        "minimize",
    ),
    DevTable(
        "synthetic_molecules",
        molecule_descriptors,
        list(MOLECULE_TABLE_PARAMETERS),
        SYNTHETIC_OBJECTIVE,
    ),
    DevTable(
        "baumgartner_benzamide",
        _shared("summit_emulator_data/baumgartner_benzamide_cn.csv"),
        _BAUMGARTNER,
        "yield_frac",
        SMALL_BUDGET,
    ),
)
RUN_ORDER = (
    "suzuki_5760",
    "reizman_1",
    "edbo_conversion",
    "baumgartner_aniline",
    "synthetic_zero_inflated",
    "reizman_2",
    "olympus_suzuki",
    "olympus_snar_impurity",
    "synthetic_interactions",
    "reizman_3",
    "synthetic_many_levels",
    "olympus_alkox",
    "suzuki_3696",
    "reizman_4",
    "edbo_selectivity",
    "olympus_benzylation_impurity",
    "olympus_fullerenes",
    "baumgartner_benzamide",
    "synthetic_molecules",
)
"""Large and small, published and synthetic tables alternate, so a cut-short run is still varied."""

DEV_TABLES: tuple[DevTable, ...] = tuple(sorted(_TABLES, key=lambda t: RUN_ORDER.index(t.name)))
"""Every development table, in run order."""


@dataclass(frozen=True)
class Config:
    """A candidate configuration: options of ``bo-candidates`` (or a peer strategy)."""

    label: str
    options: Mapping[str, Any] = field(default_factory=dict)
    strategy: str = "bo-candidates"


DEFAULT_LABEL = "default"
_OLD = {"prior": "dim-scaled", "warp": False, "initial": "maximin", "kernel": "rbf"}
_NOW = {"prior": "block", "warp": True, "initial": "auto", "kernel": "rbf"}
CONFIGS: tuple[Config, ...] = (
    Config(DEFAULT_LABEL, _OLD),
    Config("block", {**_OLD, "prior": "block"}),
    Config("warp", {**_OLD, "warp": True}),
    Config("balanced", {**_OLD, "initial": "balanced"}),
    Config("block+warp", {**_OLD, "prior": "block", "warp": True}),
    Config("block+warp+balanced", {**_NOW, "initial": "balanced"}),
    Config("block+warp+stagnation2", {**_OLD, "prior": "block", "warp": True, "stagnation": 2}),
    Config(
        "block+warp+combined", {**_OLD, "prior": "block", "warp": True, "molecules": "combined"}
    ),
    Config(
        "block+warp+descriptors",
        {**_OLD, "prior": "block", "warp": True, "molecules": "descriptors"},
    ),
    Config("block+warp+auto", {**_OLD, "prior": "block", "warp": True, "molecules": "auto"}),
    Config("block+warp+random", {**_NOW, "initial": "random"}),
    Config("block+warp+maximin", {**_NOW, "initial": "maximin"}),
    Config("block+warp+auto-initial", {**_NOW, "initial": "auto"}),
    Config("block+warp+medoids", {**_NOW, "initial": "medoids"}),
    Config("block+warp+auto-initial+matern52", {**_NOW, "kernel": "matern52"}),
    Config("block+warp+auto-initial+qei", {**_NOW, "batch": "qei"}),
    Config("block+warp+auto-initial+matern52+qei", {**_NOW, "kernel": "matern52", "batch": "qei"}),
)
"""Candidate configurations, every option spelled out: ``default`` is the planner's default
before this protocol chose ``block+warp`` (``prior: block, warp: true``), so that the
cached campaigns can be run again as they were."""

CHOICE_LABELS = (
    "default",
    "block",
    "block+warp",
    "block+warp+balanced",
    "block+warp+stagnation2",
    "block+warp+combined",
    "block+warp+descriptors",
    "block+warp+auto",
    "block+warp+random",
)
"""The configurations run on every table and chosen among (``--configs`` by default);
``warp`` and ``balanced`` ran on the first four tables only."""

BASELINE_LABEL = "block+warp+auto-initial+matern52"
"""The defaults in force (``--baseline`` by default): ``prior: block, warp: true, initial:
auto, kernel: matern52`` since the fourth run of ``docs/planner-protocol.md``
(``block+warp+auto-initial`` after the third, ``block+warp`` before it). The baseline is
always reported (from the cache), whatever ``--configs`` lists to run."""


def with_baseline(configs: Sequence[Config], baseline: str) -> list[Config]:
    """``configs`` with the baseline's configuration first if it is not among them.

    Raises:
        SystemExit: ``baseline`` is no known configuration's label.
    """
    if any(c.label == baseline for c in configs):
        return list(configs)
    known = {c.label: c for c in (*CONFIGS, *PEERS)}
    if baseline not in known:
        raise SystemExit(f"unknown baseline {baseline}; known: {', '.join(known)}")
    return [known[baseline], *configs]


PEERS: tuple[Config, ...] = (Config("baybe", strategy="baybe"),)
"""Other planners run the same way for comparison (``--configs baybe``); never chosen."""


def read_cache(path: Path) -> pd.DataFrame:
    """The cached campaigns (an empty frame with the cache columns if there is no cache yet)."""
    if not path.exists():
        return pd.DataFrame(columns=list(CACHE_COLUMNS))
    return pd.read_csv(path, dtype={"table": str, "config": str})


def run_protocol(
    cache: Path,
    tables: Sequence[DevTable],
    configs: Sequence[Config],
    seeds: int,
    console: Console,
) -> None:
    """Play every table × config × seed not in ``cache`` yet, appending each campaign as it ends."""
    cached = read_cache(cache)
    complete = [
        len(str(values).split(";")) == int(budget)
        for values, budget in zip(cached["values"], cached["budget"], strict=True)
    ]
    cached = cached.loc[np.asarray(complete, dtype=bool)]  # a row cut off by a kill runs again
    keys = (cached[c].astype(str) for c in ("table", "config", "seed"))
    done = {(t, c, int(s)) for t, c, s in zip(*keys, strict=True)}
    new = not cache.exists()
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("a", newline="") as handle:
        writer = csv.writer(handle)
        if new:
            writer.writerow(CACHE_COLUMNS)
            handle.flush()
        skipped = stand_ins(tables, configs)
        for table in tables:
            todo = [
                (c, s)
                for c in configs
                for s in range(seeds)
                if (table.name, c.label, s) not in done and (table.name, c.label) not in skipped
            ]
            if not todo:
                continue
            target = table.problem()
            started = time.perf_counter()
            for config, seed in todo:
                run = play(target, config.strategy, seed, table.budget, BATCH, config.options)
                values = [v[table.objective] for v in run.values]
                writer.writerow(
                    (
                        table.name,
                        config.label,
                        seed,
                        table.budget,
                        BATCH,
                        ";".join(repr(float(v)) for v in values),
                        ";".join(f"{s:.4f}" for s in run.seconds),
                    )
                )
                handle.flush()
            console.print(
                f"{table.name}: {len(todo)} campaigns in {time.perf_counter() - started:.0f} s"
            )


def facts_of(table: DevTable) -> TableFacts:
    """The report's view of a development table (its distinct designs' values)."""
    target = table.problem()
    values = np.array([v[table.objective] for v in target.outcomes.values()], dtype=float)
    return TableFacts(table.name, table.direction, table.budget, values)  # type: ignore[arg-type]


def build_report(
    cache: pd.DataFrame,
    tables: Sequence[DevTable],
    configs: Sequence[Config],
    min_seeds: int,
    baseline: str = DEFAULT_LABEL,
) -> ProtocolReport:
    """The report over tables where every config finished at least ``min_seeds`` common seeds.

    Paired differences and the held-out comparison refer to ``baseline`` (the
    defaults in force: ``default`` when the protocol first ran). Configurations
    that are the same campaigns as another on a table (:mod:`benchmarks.
    planner_stand_ins`) are reported from that one's campaigns.
    """
    cache = with_stand_ins(cache, stand_ins(tables, configs))
    labels = [c.label for c in configs]
    if baseline in labels:
        labels.remove(baseline)
        labels.insert(0, baseline)
    summaries, facts = [], {}
    for table in tables:
        if not (cache["table"] == table.name).any():
            continue
        table_facts = facts_of(table)
        summary = table_summary(cache, table_facts, labels, baseline)
        if summary.empty or int(summary["seeds"].iloc[0]) < min_seeds:
            continue
        summaries.append(summary)
        facts[table.name] = table_facts
    frame = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    if frame.empty:
        return ProtocolReport(frame, pd.DataFrame(), None, facts, baseline=baseline)
    scores = frame.pivot(index="table", columns="config", values="gap_closed")
    scores = scores.loc[list(facts), labels]
    peers = {p.label for p in PEERS}
    chosen_among = scores[[c for c in labels if c not in peers]]  # peers are never chosen
    choosable = len(scores) >= 2 and baseline in chosen_among.columns
    choice = leave_one_table_out(chosen_among, baseline) if choosable else None
    return ProtocolReport(frame, scores, choice, facts, tuple(peers), baseline)


def stand_ins(tables: Sequence[DevTable], configs: Sequence[Config]) -> dict[tuple[str, str], str]:
    """(table, config) → the config whose campaigns they are by construction.

    The stand-in is looked for among ``configs`` and then :data:`CONFIGS`
    (see :mod:`benchmarks.planner_stand_ins`); its campaigns must be run.
    """
    pool = [*configs, *(c for c in CONFIGS if c.label not in {k.label for k in configs})]
    out = {}
    for table in tables:
        molecules, size = table_has_molecules(table), table_size(table)
        for config in configs:
            other = stand_in(config, pool, molecules, size)
            if other is not None:
                out[(table.name, config.label)] = other
    return out


_MOLECULES: dict[str, bool] = {}
_SIZES: dict[str, int] = {}


def table_size(table: DevTable) -> int:
    """The table's number of candidates (distinct designs; read once per table)."""
    if table.name not in _SIZES:
        candidates = table.problem().problem.candidates
        _SIZES[table.name] = 0 if candidates is None else len(candidates)
    return _SIZES[table.name]


def table_has_molecules(table: DevTable) -> bool:
    """Whether the table's problem has a molecule parameter (read once per table)."""
    if table.name not in _MOLECULES:
        _MOLECULES[table.name] = has_molecules(table.problem().problem)
    return _MOLECULES[table.name]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.planner_protocol")
    parser.add_argument("--cache", type=Path, default=Path("planner-protocol.csv"))
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--tables", default="", help="comma-separated table names (default: all)")
    parser.add_argument(
        "--configs",
        default="",
        help="comma-separated config labels (default: the five chosen among)",
    )
    parser.add_argument("--report", action="store_true", help="only print what the cache holds")
    parser.add_argument(
        "--baseline",
        default=BASELINE_LABEL,
        help="config the paired differences and the held-out check refer to",
    )
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown here")
    parser.add_argument(
        "--min-seeds", type=int, default=30, help="report tables with at least this many seeds"
    )
    return parser


def _select(names: str, known: Sequence[Any], what: str) -> list[Any]:
    chosen = [n.strip() for n in names.split(",") if n.strip()]
    if not chosen:
        return list(known)
    by_name = {getattr(k, "name", None) or k.label: k for k in known}
    unknown = [n for n in chosen if n not in by_name]
    if unknown:
        raise SystemExit(f"unknown {what} {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[n] for n in chosen]


def main(argv: Sequence[str]) -> int:
    """Run (or resume) the protocol and print its report; return the exit code."""
    args = _parser().parse_args(list(argv))
    if args.seeds < 1:
        raise SystemExit(f"--seeds must be at least 1, got {args.seeds}")
    tables = _select(args.tables, DEV_TABLES, "table(s)")
    configs = _select(args.configs or ",".join(CHOICE_LABELS), (*CONFIGS, *PEERS), "config(s)")
    console = Console()
    configure_process_threads(1)
    if not args.report:
        run_protocol(args.cache, tables, configs, args.seeds, console)
    reported = with_baseline(configs, args.baseline)  # the baseline is reported, not run
    report = build_report(read_cache(args.cache), tables, reported, args.min_seeds, args.baseline)
    text = markdown(report)
    console.print(Markdown(text))
    if args.markdown is not None:
        args.markdown.write_text(text)
    return 0


@benchmark("planner-protocol")
def protocol(console: Console) -> None:
    """Resume (or, from the committed cache, only report) the defaults protocol."""
    cache = Path(__file__).parent / "results" / "planner_protocol.csv"
    configs = [c for c in CONFIGS if c.label in CHOICE_LABELS]
    run_protocol(cache, DEV_TABLES, configs, 30, console)  # from the committed cache: nothing
    reported = with_baseline(configs, BASELINE_LABEL)
    report = build_report(read_cache(cache), DEV_TABLES, reported, 30, BASELINE_LABEL)
    console.print(Markdown(markdown(report)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
