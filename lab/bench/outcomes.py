"""What chemists ask of a benchmark, per strategy, each figure next to its exact random value.

- best so far after k experiments: mean ± standard error over seeds (the
  median and IQR are in :func:`lab.bench.summary.summarize`), beside the
  random screen's exact mean, median and quartiles;
- the share of seeds that found a top-1 % design by experiment 20 and 50,
  beside the exact random probability;
- experiments to the first top-1 % design: seeds that never found one within
  their budget are *censored* at it, not dropped. The Kaplan–Meier median is
  reported when it exists (NaN means "more than the budget"), and the
  restricted mean (never found = budget) always; both beside random's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lab.bench.exact_random import (
    random_best_quantiles,
    random_first_hit_cdf,
    random_first_hit_median,
    random_restricted_mean,
    top_fraction_target,
)
from lab.bench.summary import (
    Direction,
    _percent_label,
    experiments_to_reach,
    random_expectation,
    seed_curves,
)


def mean_and_se(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and standard error of the mean (sd with n-1 over sqrt n; NaN for one value)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("mean_and_se needs at least one value")
    if data.size == 1:
        return float(data[0]), float("nan")
    return float(data.mean()), float(data.std(ddof=1) / np.sqrt(data.size))


def kaplan_meier_median(first_hits: Sequence[int | None], followed: Sequence[int] | int) -> float:
    """Kaplan–Meier median of experiments to an event, campaigns without it censored.

    ``first_hits[i]`` is campaign i's first experiment with the event, or None;
    ``followed`` is how many experiments each campaign ran (one number for all).
    The survival S(t) drops at each event time by the share of campaigns still
    at risk (not yet hit, followed at least that long) that hit then; the
    median is the first event time where S(t) <= 1/2. NaN when S stays above
    1/2 within the follow-up: the median is then "more than the budget".
    """
    count = len(first_hits)
    if count == 0:
        raise ValueError("kaplan_meier_median needs at least one campaign")
    horizon = np.full(count, followed) if isinstance(followed, int) else np.asarray(followed)
    if horizon.size != count:
        raise ValueError(f"{count} campaigns but {horizon.size} follow-up lengths")
    times = np.array([h if h is not None else 0 for h in first_hits], dtype=int)
    hit = times > 0
    if np.any(times > horizon):
        raise ValueError("a first hit must lie within its campaign's length")
    survival = 1.0
    for t in np.unique(times[hit]):
        at_risk = int(np.sum((hit & (times >= t)) | (~hit & (horizon >= t))))
        survival *= 1.0 - int(np.sum(times == t)) / at_risk
        if survival <= 0.5 + 1e-12:
            return float(t)
    return float("nan")


def first_hits(curves: np.ndarray, target: float, direction: Direction) -> list[int | None]:
    """Per seed (row of best-so-far curves), the first experiment reaching ``target``."""
    return [experiments_to_reach(curve, target, direction) for curve in curves]


def share_hit_by(hits: Sequence[int | None], by: int) -> float:
    """Share of campaigns whose first hit came within ``by`` experiments."""
    return float(np.mean([h is not None and h <= by for h in hits]))


def top_label(fraction: float) -> str:
    """0.01 -> 'top1pct'."""
    return "top" + _percent_label(fraction)


def outcome_columns(checkpoints: Sequence[int], by: Sequence[int], fraction: float) -> list[str]:
    """Column names of :func:`outcome_summary`, in order."""
    top = top_label(fraction)
    columns = ["strategy"]
    for k in checkpoints:
        columns += [f"mean_at_{k}", f"se_at_{k}", f"random_mean_at_{k}"]
        columns += [f"random_median_at_{k}", f"random_q25_at_{k}", f"random_q75_at_{k}"]
    for n in by:
        columns += [f"p_{top}_by_{n}", f"random_p_{top}_by_{n}"]
    columns += [
        f"{top}_target",
        f"reached_{top}",
        f"experiments_to_{top}_km_median",
        f"random_experiments_to_{top}_median",
        f"experiments_to_{top}_restricted_mean",
        f"random_experiments_to_{top}_restricted_mean",
    ]
    return columns


def outcome_summary(
    traces: pd.DataFrame,
    direction: Direction,
    table_values: np.ndarray | None,
    *,
    checkpoints: Sequence[int] = (10, 20, 30, 50),
    by: Sequence[int] = (20, 50),
    fraction: float = 0.01,
) -> pd.DataFrame:
    """One row per strategy: mean ± SE at the checkpoints, top-``fraction`` odds and times.

    Every figure that has a random counterpart gets it in a ``random_`` column
    when ``table_values`` (one value per distinct design) is given; without a
    table (a simulator) those columns and the top-fraction ones are NaN.
    Checkpoints and ``by`` beyond a strategy's budget (its shortest seed) are
    NaN; the restricted mean and the censoring use the strategy's budget.
    """
    curves = seed_curves(traces, direction)
    longest = max(m.shape[1] for m in curves.values())
    shown = sorted(k for k in set(checkpoints) if 1 <= k <= longest)
    shown_by = sorted(n for n in set(by) if 1 <= n <= longest)
    top = top_label(fraction)
    target = (
        None if table_values is None else top_fraction_target(table_values, fraction, direction)
    )
    size = 0 if table_values is None else np.asarray(table_values).size
    rows = []
    for strategy, matrix in curves.items():
        budget = matrix.shape[1]
        row: dict[str, object] = {"strategy": strategy}
        for k in (k for k in shown if k <= budget):
            row[f"mean_at_{k}"], row[f"se_at_{k}"] = mean_and_se(matrix[:, k - 1])
            if table_values is not None and k <= size:
                row[f"random_mean_at_{k}"] = float(
                    random_expectation(table_values, k, direction)[-1]
                )
                q25, median, q75 = random_best_quantiles(
                    table_values, k, (0.25, 0.5, 0.75), direction
                )
                row.update(
                    {
                        f"random_median_at_{k}": median,
                        f"random_q25_at_{k}": q25,
                        f"random_q75_at_{k}": q75,
                    }
                )
        if target is not None and table_values is not None:
            hits = first_hits(matrix, target, direction)
            cdf = random_first_hit_cdf(table_values, target, max([budget, *shown_by]), direction)
            for n in (n for n in shown_by if n <= budget):
                row[f"p_{top}_by_{n}"] = share_hit_by(hits, n)
                row[f"random_p_{top}_by_{n}"] = float(cdf[n - 1])
            row[f"{top}_target"] = target
            row[f"reached_{top}"] = sum(h is not None for h in hits)
            row[f"experiments_to_{top}_km_median"] = kaplan_meier_median(hits, budget)
            row[f"random_experiments_to_{top}_median"] = float(
                random_first_hit_median(table_values, target, direction)
            )
            row[f"experiments_to_{top}_restricted_mean"] = float(
                np.mean([budget if h is None else h for h in hits])
            )
            row[f"random_experiments_to_{top}_restricted_mean"] = random_restricted_mean(
                table_values, target, budget, direction
            )
        rows.append(row)
    return pd.DataFrame(rows, columns=outcome_columns(shown, shown_by, fraction))
