"""A whole benchmark: every strategy × seed as a campaign, then traces, summary and plot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from datastore import Datastore
from lab.bench.executors import Executor
from lab.bench.outcomes import outcome_summary
from lab.bench.runs import TRACE_COLUMNS, BenchJob, JobResult
from lab.bench.scenarios import Scenario
from lab.bench.summary import random_expectation, summarize
from planner import strategy_names


class BenchConfigError(Exception):
    """The benchmark cannot be set up as asked (the message says what to change)."""


@dataclass(frozen=True)
class BenchPlan:
    """What to run: a scenario, the strategies, the seeds and the campaign shape."""

    scenario: Scenario
    strategies: tuple[str, ...]
    seeds: int
    budget: int
    batch: int
    out: Path
    db_url: str | None = None
    """One datastore for every run; ``None``: each run in its own SQLite file."""
    first_seed: int = 0

    def check(self) -> None:
        """Raise :class:`BenchConfigError` for an impossible plan."""
        check_shape(self.strategies, self.seeds, self.budget, self.batch)
        designs = self.scenario.designs()
        if designs is not None and self.budget > designs:
            raise BenchConfigError(
                f"--budget {self.budget} exceeds the {designs} distinct designs of the table"
            )

    def write_jobs(self) -> list[BenchJob]:
        """Write the campaign files of every strategy and seed under ``out``; one job each."""
        folder = self.out / "campaigns"
        scenario = self.scenario
        files = [
            (strategy, seed, scenario.write(folder, strategy, seed, self.budget, self.batch))
            for strategy in self.strategies
            for seed in range(self.first_seed, self.first_seed + self.seeds)
        ]
        return [
            BenchJob(
                campaign=campaign,
                db_url=self.db_url or run_db_url(campaign),
                strategy=strategy,
                seed=seed,
                objective=scenario.objective,
                direction=scenario.direction,
                criteria=scenario.criteria,
            )
            for strategy, seed, campaign in files
        ]


def run_db_url(campaign: Path) -> str:
    """The SQLite datastore of one run, beside its campaign file."""
    return f"sqlite:///{campaign.parent / RUN_DB}"


RUN_DB = "campaign.db"


def check_shape(strategies: Sequence[str], seeds: int, budget: int, batch: int) -> None:
    """Raise :class:`BenchConfigError` for unknown strategies or an impossible campaign shape."""
    known = strategy_names()
    unknown = [s for s in strategies if s not in known]
    if unknown:
        raise BenchConfigError(
            f"unknown strategy {', '.join(map(repr, unknown))}; allowed: {', '.join(known)}"
        )
    if not strategies:
        raise BenchConfigError("--strategies names no strategy")
    if len(set(strategies)) != len(strategies):
        raise BenchConfigError("--strategies names a strategy twice")
    if seeds < 1:
        raise BenchConfigError(f"--seeds must be at least 1, got {seeds}")
    if batch < 1:
        raise BenchConfigError(f"--batch must be at least 1, got {batch}")
    if budget < batch:
        raise BenchConfigError(
            f"--budget {budget} is smaller than --batch {batch}: "
            "a campaign would not finish one batch; raise the budget or lower the batch"
        )


@dataclass(frozen=True)
class BenchResult:
    """Everything a benchmark measured."""

    traces: pd.DataFrame
    summary: pd.DataFrame
    random_curve: np.ndarray | None
    first_met: pd.DataFrame
    """One row per (strategy, seed), one column per criterion: first experiment meeting it."""


def run_bench(
    plan: BenchPlan, executor: Executor, on_done: Callable[[JobResult], None]
) -> BenchResult:
    """Run every job of ``plan`` on ``executor`` and summarize.

    A shared datastore (``plan.db_url``) is prepared (schema migrated) here,
    before any job opens it; a run's own file is prepared by its job.
    """
    plan.check()
    plan.out.mkdir(parents=True, exist_ok=True)
    jobs = plan.write_jobs()
    if plan.db_url is not None:
        Datastore(plan.db_url).dispose()
    results = executor.run(jobs, on_done)
    return summarize_results(plan, results)


def summarize_results(plan: BenchPlan, results: Sequence[JobResult]) -> BenchResult:
    """Traces, summary and criteria of finished jobs."""
    scenario = plan.scenario
    rows = [row for r in results for row in r.rows]
    traces = pd.DataFrame(rows, columns=list(TRACE_COLUMNS))
    summary = summarize(traces, scenario.direction, reference=scenario.reference)
    values = scenario.table_values
    curve = None if values is None else random_expectation(values, plan.budget, scenario.direction)
    summary = summary.merge(
        outcome_summary(traces, scenario.direction, values), on="strategy", how="left"
    )
    first_met = pd.DataFrame(
        [{"strategy": r.strategy, "seed": r.seed, **r.first_met} for r in results]
    )
    for criterion in scenario.criteria:
        summary = summary.merge(
            criterion_summary(first_met, criterion.name).drop(columns="seeds"),
            on="strategy",
            how="left",
        )
    return BenchResult(traces, summary, curve, first_met)


def _median_with_never(hits: pd.Series, seeds: int) -> float:
    """Median over seeds, a seed that never got there counting as infinitely many."""
    if len(hits) * 2 <= seeds:
        return float("nan")
    padded = np.concatenate([hits.to_numpy(dtype=float), np.full(seeds - len(hits), np.inf)])
    return float(np.median(padded))


def criterion_summary(first_met: pd.DataFrame, name: str) -> pd.DataFrame:
    """Per strategy: how many seeds met a criterion, and after how many experiments.

    The median counts seeds that never met it as never (reported only when
    more than half did); the mean and sd are over the seeds that did.
    """
    column = "_".join(name.lower().split())
    out = []
    for strategy, group in first_met.groupby("strategy", sort=False):
        hits = group[name].dropna().astype(float)
        reached = len(hits)
        out.append(
            {
                "strategy": strategy,
                f"experiments_to_{column}_median": _median_with_never(hits, len(group)),
                f"experiments_to_{column}_mean": float(hits.mean()) if reached else np.nan,
                f"experiments_to_{column}_sd": float(hits.std(ddof=0)) if reached else np.nan,
                f"reached_{column}": reached,
                "seeds": len(group),
            }
        )
    return pd.DataFrame(out)
