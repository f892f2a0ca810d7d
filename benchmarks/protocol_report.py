"""The protocol's figures from its cache: per-table comparisons and the leave-one-table-out choice.

Pure functions over the cache frame of :mod:`benchmarks.planner_protocol`
(one row per campaign) and the tables' values; the module there prints them.

- :func:`table_summary`: per configuration, mean ± SE of best so far at 10,
  20 and 30 experiments next to the exact random mean, the paired difference
  from the default at the table's checkpoint (same seeds, SE of the seed-wise
  differences), the share of seeds with a top-1 % design by 20 and by the
  budget, and the Kaplan–Meier median experiments to one (never-found censored
  at the budget), and the experiments after the first batch at which the
  median over seeds of best so far is worse than the exact random expectation
  (:func:`median_below_random`);
- :func:`gap_closed`: the score that chooses, per table: how much of the gap
  between the random screen's expected best and the table's best the mean
  best-so-far closes at the checkpoint (0 = random, 1 = always the best);
- :func:`leave_one_table_out`: for each table, the configuration with the
  highest mean score over the *other* tables, and how it does on this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lab.bench.exact_random import (
    random_first_hit_cdf,
    random_first_hit_median,
    top_fraction_target,
)
from lab.bench.outcomes import first_hits, kaplan_meier_median, mean_and_se, share_hit_by
from lab.bench.summary import Direction, best_so_far, random_expectation


@dataclass(frozen=True)
class TableFacts:
    """What the report needs of a development table."""

    name: str
    direction: Direction
    budget: int
    values: np.ndarray
    """One objective value per distinct design."""

    @property
    def checkpoint(self) -> int:
        """The experiment count that scores a configuration: 20, or 10 on a budget under 20."""
        return 20 if self.budget >= 20 else 10

    @property
    def best(self) -> float:
        """The table's best value."""
        return float(self.values.max() if self.direction == "maximize" else self.values.min())


def parse_values(text: str) -> np.ndarray:
    """A cached ``;``-joined series."""
    return np.array([float(v) for v in str(text).split(";") if v], dtype=float)


def seed_matrix(cache: pd.DataFrame, facts: TableFacts, config: str) -> pd.DataFrame:
    """Best-so-far curves of one table and config: one row per seed (index), one column each."""
    rows = cache[(cache["table"] == facts.name) & (cache["config"] == config)]
    curves = {}
    for seed, text in zip(rows["seed"].astype(int), rows["values"], strict=True):
        values = parse_values(text)
        if values.size == facts.budget:  # a cut-off row of a killed run is ignored
            curves[seed] = best_so_far(values, facts.direction)
    frame = pd.DataFrame.from_dict(curves, orient="index")
    return frame.sort_index()


def median_batch_seconds(
    cache: pd.DataFrame, facts: TableFacts, config: str, seeds: Sequence[int]
) -> float:
    """Median planner seconds per batch over the given seeds' campaigns."""
    rows = cache[(cache["table"] == facts.name) & (cache["config"] == config)]
    rows = rows[rows["seed"].astype(int).isin(list(seeds))]
    complete = [parse_values(v).size == facts.budget for v in rows["values"]]
    seconds = [parse_values(text) for text in rows.loc[np.asarray(complete, dtype=bool), "seconds"]]
    return float(np.median(np.concatenate(seconds))) if seconds else float("nan")


def common_seeds(cache: pd.DataFrame, facts: TableFacts, configs: Sequence[str]) -> list[int]:
    """Seeds every config has finished on the table (the paired comparison uses only these)."""
    sets = [set(seed_matrix(cache, facts, c).index) for c in configs]
    return sorted(set.intersection(*sets)) if sets else []


def gap_closed(mean_best: float, facts: TableFacts, at: int | None = None) -> float:
    """(mean best − random expected best) / (table best − random expected), after ``at``.

    ``at`` defaults to the table's checkpoint.
    """
    k = facts.checkpoint if at is None else at
    random = float(random_expectation(facts.values, k, facts.direction)[-1])
    gap = facts.best - random
    return float("nan") if gap == 0 else (mean_best - random) / gap


def table_summary(
    cache: pd.DataFrame, facts: TableFacts, configs: Sequence[str], default: str
) -> pd.DataFrame:
    """Per config on one table, over the seeds all configs finished (see the module docstring)."""
    seeds = common_seeds(cache, facts, configs)
    if not seeds:
        return pd.DataFrame()
    checkpoints = [k for k in (10, 20, 30) if k <= facts.budget]
    by = sorted({min(20, facts.budget), facts.budget})
    target = top_fraction_target(facts.values, 0.01, facts.direction)
    cdf = random_first_hit_cdf(facts.values, target, facts.budget, facts.direction)
    random_mean = random_expectation(facts.values, facts.budget, facts.direction)
    base = seed_matrix(cache, facts, default).loc[seeds].to_numpy() if default in configs else None
    rows = []
    for config in configs:
        matrix = seed_matrix(cache, facts, config).loc[seeds].to_numpy()
        row: dict[str, object] = {"table": facts.name, "config": config, "seeds": len(seeds)}
        for k in checkpoints:
            row[f"mean_at_{k}"], row[f"se_at_{k}"] = mean_and_se(matrix[:, k - 1])
            row[f"random_mean_at_{k}"] = float(random_mean[k - 1])
        k = facts.checkpoint
        row["checkpoint"] = k
        row["delta_vs_default"], row["delta_se"] = (
            (float("nan"), float("nan"))
            if base is None
            else mean_and_se(matrix[:, k - 1] - base[:, k - 1])
        )
        row["gap_closed"] = gap_closed(float(matrix[:, k - 1].mean()), facts)
        row["gap_closed_at_budget"] = gap_closed(float(matrix[:, -1].mean()), facts, facts.budget)
        hits = first_hits(matrix, target, facts.direction)
        for n in by:
            row[f"p_top1pct_by_{n}"] = share_hit_by(hits, n)
            row[f"random_p_top1pct_by_{n}"] = float(cdf[n - 1])
        row["experiments_to_top1pct_km_median"] = kaplan_meier_median(hits, facts.budget)
        row["random_experiments_to_top1pct_median"] = float(
            random_first_hit_median(facts.values, target, facts.direction)
        )
        row["median_suggest_seconds"] = median_batch_seconds(cache, facts, config, seeds)
        first_batch = first_batch_size(cache, facts, config)
        below = median_below_random(matrix, random_mean, facts.direction, first_batch)
        row["median_below_random_at"] = spans(below)
        rows.append(row)
    return pd.DataFrame(rows)


def first_batch_size(cache: pd.DataFrame, facts: TableFacts, config: str) -> int:
    """The batch size of the config's campaigns on the table (its cached ``batch``; 0 if none)."""
    rows = cache[(cache["table"] == facts.name) & (cache["config"] == config)]
    return int(rows["batch"].iloc[0]) if "batch" in rows and len(rows) else 0


def median_below_random(
    curves: np.ndarray, random_mean: np.ndarray, direction: Direction, after: int
) -> list[int]:
    """Experiment counts k > ``after`` where the seeds' median best so far is worse than random.

    Args:
        curves: Best so far, one row per seed, one column per experiment.
        random_mean: The exact random expectation of best so far at 1, 2, ... experiments.
        direction: ``"maximize"`` (worse = lower) or ``"minimize"`` (worse = higher).
        after: Experiments of the first batch (not counted: no model has chosen yet).
    """
    median = np.median(curves, axis=0)
    n = min(len(median), len(random_mean))
    tolerance = 1e-9 * max(1.0, float(np.max(np.abs(random_mean[:n]))))
    if direction == "maximize":
        worse = median[:n] < random_mean[:n] - tolerance
    else:
        worse = median[:n] > random_mean[:n] + tolerance
    return [k for k in range(after + 1, n + 1) if worse[k - 1]]


def spans(counts: Sequence[int]) -> str:
    """``[6, 7, 8, 12]`` as ``"6–8, 12"``; ``"none"`` when empty."""
    if not counts:
        return "none"
    parts, start, last = [], counts[0], counts[0]
    for k in [*counts[1:], None]:
        if k is not None and k == last + 1:
            last = k
            continue
        parts.append(str(start) if start == last else f"{start}–{last}")
        if k is not None:
            start = last = k
    return ", ".join(parts)


def leave_one_table_out(scores: pd.DataFrame, default: str) -> pd.DataFrame:
    """Per held-out table: the config with the best mean score on the others, scored on it.

    ``scores`` has one row per table, one column per config (e.g. gap closed).
    Ties go to the config listed first. Columns: ``held_out``, ``chosen``,
    ``chosen_score``, ``default_score``, ``best_config_on_table``.
    """
    if len(scores) < 2:
        raise ValueError("leave-one-table-out needs at least two complete tables")
    rows = []
    for held_out in scores.index:
        others = scores.drop(index=held_out).mean(axis=0)
        chosen = str(others.idxmax())
        rows.append(
            {
                "held_out": held_out,
                "chosen": chosen,
                "chosen_score": float(scores.loc[held_out, chosen]),
                "default_score": float(scores.loc[held_out, default]),
                "best_config_on_table": str(scores.loc[held_out].idxmax()),
            }
        )
    return pd.DataFrame(rows)
