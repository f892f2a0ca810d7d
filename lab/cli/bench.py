"""``dbtl bench``: whole simulated campaigns for several strategies and seeds, side by side."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from datastore.engine import redact
from lab.bench.cycles import cycle_rich_table, cycle_table
from lab.bench.driver import (
    BenchConfigError,
    BenchPlan,
    BenchResult,
    check_shape,
    criterion_summary,
    run_bench,
    run_db_url,
)
from lab.bench.executors import ExecutorError, make_executor
from lab.bench.outcome_report import outcome_table
from lab.bench.pathway_scenario import PathwayScenario
from lab.bench.plot import plot_best_so_far
from lab.bench.report import criterion_table, summary_table
from lab.bench.route_scenario import RouteScenario
from lab.bench.runs import JobResult
from lab.bench.scenarios import (
    SIMULATORS,
    SNAR_OBJECTIVES,
    Scenario,
    SnarScenario,
    TableScenario,
    campaign_name,
    slug,
)
from lab.bench.summary import exact_random_row
from lab.bench.tables import DatasetError, Direction, load_dataset

console = Console()


class ExecutorName(StrEnum):
    """Where the runs execute."""

    local = "local"
    ray = "ray"


class EncodingName(StrEnum):
    """How molecule columns are featurized."""

    onehot = "onehot"
    descriptors = "descriptors"
    morgan = "morgan"


class BenchInputError(Exception):
    """Bad benchmark input: printed as one line, exit code 2."""


def bench(
    dataset: Annotated[
        Path | None,
        typer.Option(help="CSV of published experiments to replay (one row per experiment)."),
    ] = None,
    simulator: Annotated[
        str | None,
        typer.Option(help=f"A simulator instead of a table: {', '.join(SIMULATORS)}."),
    ] = None,
    objective: Annotated[
        str | None,
        typer.Option(
            help="Column to optimize (for --simulator snar: sty_kg_m3_h, e_factor or yield_pct)."
        ),
    ] = None,
    minimize: Annotated[bool, typer.Option(help="Minimize the objective.")] = False,
    params: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated parameter columns (default: every column that is not the "
            "objective, a SMILES sibling, a row identifier, an alias or a constant)."
        ),
    ] = None,
    strategies: Annotated[
        str, typer.Option(help="Comma-separated strategies, e.g. bo,random,sobol,baybe.")
    ] = "bo,random",
    budget: Annotated[
        int | None, typer.Option(help="Experiments per campaign (default 30).")
    ] = None,
    cycles: Annotated[
        int | None,
        typer.Option(help="Cycles per campaign instead of --budget: budget = cycles × batch."),
    ] = None,
    batch: Annotated[int, typer.Option(help="Experiments proposed per cycle.")] = 5,
    seeds: Annotated[int, typer.Option(help="Campaigns per strategy (seeds 0..S-1).")] = 5,
    out: Annotated[
        Path,
        typer.Option(help="Folder for traces.csv, summary.csv, best_so_far.png and the runs."),
    ] = Path("bench-out"),
    executor: Annotated[
        ExecutorName, typer.Option(help="local: one run after another; ray: runs side by side.")
    ] = ExecutorName.local,
    ray_address: Annotated[
        str | None,
        typer.Option(help="An existing Ray cluster (default: start a local one)."),
    ] = None,
    workers: Annotated[int, typer.Option(help="CPUs of the local Ray cluster.")] = 2,
    encoding: Annotated[
        EncodingName,
        typer.Option(help="Featurization of molecule columns for model-based strategies."),
    ] = EncodingName.onehot,
    noise: Annotated[
        float, typer.Option(help="Relative measurement noise of a simulator (0.01 = 1 %).")
    ] = 0.0,
    db: Annotated[
        str | None,
        typer.Option(
            help="One datastore URL for every run (default: each run in its own SQLite file, "
            "OUT/campaigns/<run>/campaign.db)."
        ),
    ] = None,
) -> None:
    """Benchmark strategies on a published table or a simulator, through the real loop.

    Each strategy × seed is an ordinary campaign (files under OUT/campaigns,
    results in the datastore, inspectable with `dbtl show`); running the same
    command again resumes unfinished runs. Writes OUT/traces.csv (one row per
    experiment), OUT/summary.csv and OUT/best_so_far.png, and prints a table.

    Example: dbtl bench --dataset suzuki_miyaura_5760.csv --objective yield
    --params reactant_1,reactant_2,ligand,base,solvent --strategies bo,random
    --budget 50 --batch 5 --seeds 20 --out suzuki
    """
    started = time.perf_counter()
    names = tuple(s.strip() for s in strategies.split(",") if s.strip())
    budget = _budget(budget, cycles, batch)
    _check_source(dataset, simulator)
    try:
        check_shape(names, seeds, budget, batch)
        # A Ray cluster starts (and its workers import) while the table is read.
        runner = make_executor(executor.value, ray_address, workers)
    except (BenchConfigError, ExecutorError) as exc:
        raise BenchInputError(str(exc)) from None
    try:
        scenario = _scenario(dataset, simulator, objective, minimize, params, encoding, noise)
        plan = BenchPlan(scenario, names, seeds, budget, batch, out, db)
        plan.check()
    except (DatasetError, BenchConfigError, BenchInputError) as exc:
        runner.close()
        raise BenchInputError(str(exc)) from None
    console.print(
        f"[bold]bench[/bold] {scenario.name}: {scenario.direction} {scenario.objective}, "
        f"{', '.join(plan.strategies)} × {seeds} seeds, budget {budget}, batch {batch}, "
        f"{executor.value} → {_where(plan)}"
    )
    try:
        with _BenchProgress(len(plan.strategies) * seeds) as advance:
            result = run_bench(plan, runner, advance)
    finally:
        runner.close()
    _report(plan, result, time.perf_counter() - started)
    if cycles is not None:
        _report_cycles(plan, result, cycles)


def _budget(budget: int | None, cycles: int | None, batch: int) -> int:
    """The budget: given, or cycles × batch."""
    if cycles is None:
        return 30 if budget is None else budget
    if budget is not None:
        raise BenchInputError("give --budget or --cycles, not both")
    if cycles < 1:
        raise BenchInputError(f"--cycles must be at least 1, got {cycles}")
    return cycles * batch


def _check_source(dataset: Path | None, simulator: str | None) -> None:
    if (dataset is None) == (simulator is None):
        raise BenchInputError("give exactly one of --dataset FILE.csv or --simulator NAME")
    if dataset is not None and not dataset.is_file():
        raise BenchInputError(f"--dataset {dataset}: no such file")
    if simulator is not None and simulator not in SIMULATORS:
        raise BenchInputError(f"unknown simulator {simulator!r}; allowed: {', '.join(SIMULATORS)}")


def _scenario(
    dataset: Path | None,
    simulator: str | None,
    objective: str | None,
    minimize: bool,
    params: str | None,
    encoding: EncodingName,
    noise: float,
) -> Scenario:
    if simulator == "route":
        return RouteScenario()
    if simulator == "pathway":
        return PathwayScenario()
    if simulator is not None:
        return _snar(objective, minimize, params, noise)
    assert dataset is not None
    if noise:
        raise BenchInputError("--noise applies to --simulator only; a table answers as published")
    if objective is None:
        raise BenchInputError("--dataset needs --objective COLUMN (the column to optimize)")
    names = [p.strip() for p in params.split(",") if p.strip()] if params is not None else None
    loaded = load_dataset(
        dataset, objective, minimize=minimize, parameters=names, encoding=encoding.value
    )
    if names is None:
        console.print(
            f"parameters inferred from {dataset.name}: {', '.join(loaded.columns.values())} "
            "(choose them with --params)"
        )
    return TableScenario(loaded, slug(dataset.name.split(".")[0]))


def _snar(objective: str | None, minimize: bool, params: str | None, noise: float) -> Scenario:
    if params is not None:
        raise BenchInputError("--params applies to --dataset only; the SnAr model has 4 fixed ones")
    name = objective or "sty_kg_m3_h"
    if name not in SNAR_OBJECTIVES:
        raise BenchInputError(
            f"the SnAr simulator has no objective {name!r}; allowed: {', '.join(SNAR_OBJECTIVES)}"
        )
    direction: Direction = "minimize" if minimize else SNAR_OBJECTIVES[name]
    if not 0 <= noise <= 0.5:
        raise BenchInputError(f"--noise must be within 0-0.5, got {noise}")
    return SnarScenario(objective=name, direction=direction, noise_relative_sd=noise)


class _BenchProgress:
    """A progress bar over strategies × seeds; the context value advances it."""

    def __init__(self, total: int) -> None:
        self.bar = Progress(
            TextColumn("[bold]campaigns"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=console,
            transient=False,
        )
        self.task = self.bar.add_task("", total=total)

    def __enter__(self) -> _Advance:
        self.bar.start()
        return _Advance(self)

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


class _Advance:
    def __init__(self, progress: _BenchProgress) -> None:
        self.progress = progress

    def __call__(self, result: JobResult) -> None:
        best = result.rows[-1]["best_so_far"] if result.rows else float("nan")
        self.progress.bar.update(
            self.progress.task,
            advance=1,
            description=f"last: {result.strategy} seed {result.seed}, best {best:.4g}",
        )


def _report(plan: BenchPlan, result: BenchResult, seconds: float) -> None:
    out = plan.out
    scenario = plan.scenario
    result.traces.to_csv(out / "traces.csv", index=False)
    result.summary.to_csv(out / "summary.csv", index=False)
    random_row = None
    if result.random_curve is not None:
        random_row = exact_random_row(result.random_curve, (10, 20, 30, 50))
    reference = scenario.reference
    plot_best_so_far(
        result.traces,
        out / "best_so_far.png",
        title=f"{scenario.name}: best {scenario.objective} so far ({plan.seeds} seeds)",
        direction=scenario.direction,
        objective_label=scenario.objective,
        random_curve=result.random_curve,
        reference_best=None if reference is None else reference[0],
    )
    title = f"{scenario.name}: {scenario.direction} {scenario.objective}, {plan.seeds} seeds"
    console.print(summary_table(result.summary, title=title, random_row=random_row))
    console.print(outcome_table(result.summary, title=title, budget=plan.budget))
    for criterion in scenario.criteria:
        stats = criterion_summary(result.first_met, criterion.name)
        console.print(criterion_table(stats, f"{criterion.name}: {criterion.describe()}"))
    console.print(
        f"{len(result.traces)} experiments in {seconds:.1f} s; wrote {out / 'traces.csv'}, "
        f"{out / 'summary.csv'}, {out / 'best_so_far.png'}; a run: {_show_hint(plan)}"
    )


def _report_cycles(plan: BenchPlan, result: BenchResult, cycles: int) -> None:
    table = cycle_table(result.traces, plan.batch, cycles, plan.scenario.direction)
    table.to_csv(plan.out / "cycles.csv", index=False)
    title = (
        f"{plan.scenario.name}: median best {plan.scenario.objective} after each cycle of "
        f"{plan.batch}; gain = last cycle's best - first cycle's, per seed"
    )
    console.print(cycle_rich_table(table, title))
    console.print(f"wrote {plan.out / 'cycles.csv'}")


def _where(plan: BenchPlan) -> str:
    if plan.db_url is not None:
        return redact(plan.db_url)
    return f"one SQLite file per run under {plan.out / 'campaigns'}"


def _show_hint(plan: BenchPlan) -> str:
    name = campaign_name(plan.scenario.name, plan.strategies[0], plan.first_seed)
    url = plan.db_url or run_db_url(plan.out / "campaigns" / name / "campaign.yaml")
    return f"dbtl show {name} --db {redact(url)}"
