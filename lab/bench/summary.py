"""Pure analysis of benchmark traces: best-so-far curves, the exact random baseline, summaries.

A *trace* is one campaign (one strategy, one seed) as a sequence of measured
values, experiment 1 first; a failed experiment is NaN and never counts as a
best. The traces DataFrame holds many campaigns, one row per experiment, with
columns ``strategy, seed, experiment, value, best_so_far, suggest_seconds``.

Nothing here reads or writes files; :mod:`lab.bench.plot` and
:mod:`lab.bench.report` present the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import gammaln

Direction = Literal["maximize", "minimize"]

RANDOM_LABEL = "random (exact expectation)"
"""How the exact random-sampling baseline is labelled in tables and plots."""

TRACE_COLUMNS = ("strategy", "seed", "experiment", "value", "suggest_seconds")
"""Columns :func:`summarize` and :func:`seed_curves` read from the traces."""


def _check_direction(direction: str) -> None:
    if direction not in ("maximize", "minimize"):
        raise ValueError(f"direction must be 'maximize' or 'minimize', not {direction!r}")


def best_so_far(values: Sequence[float] | np.ndarray, direction: Direction) -> np.ndarray:
    """Best value up to and including each experiment.

    Failed experiments (NaN) never count; the result is NaN until the first
    success and then carries the best value seen so far.
    """
    _check_direction(direction)
    measured = np.asarray(values, dtype=float)
    if measured.size == 0:
        return measured.copy()
    accumulate = np.fmax if direction == "maximize" else np.fmin
    return np.asarray(accumulate.accumulate(measured), dtype=float)


def experiments_to_reach(
    best_so_far: Sequence[float] | np.ndarray, target: float, direction: Direction
) -> int | None:
    """First experiment number (1-based) whose best-so-far reaches ``target``; None if never.

    "Reaches" is ``>= target`` when maximizing and ``<= target`` when minimizing.
    """
    _check_direction(direction)
    best = np.asarray(best_so_far, dtype=float)
    hits = best >= target if direction == "maximize" else best <= target  # NaN never hits
    first = np.flatnonzero(hits)
    return int(first[0]) + 1 if first.size else None


def target_value(
    reference_best: float, reference_worst: float, fraction: float, direction: Direction
) -> float:
    """The value that counts as reaching ``fraction`` of the table's best.

    The fraction is taken of the table's *range*, not of its best value:
    ``worst + fraction * (best - worst)``. For a yield whose worst is 0 this is
    simply ``fraction * best`` (95 % of a best yield of 100 is 95), and unlike
    ``fraction * best`` it stays meaningful for minimized objectives and for
    objectives that are negative or do not start at zero: 0.95 of the way from
    an E-factor of 40 (worst) to 2 (best) is 3.9.
    """
    _check_direction(direction)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], not {fraction}")
    better = reference_best >= reference_worst
    if direction == "minimize":
        better = reference_best <= reference_worst
    if not better:
        raise ValueError(
            f"reference best {reference_best} is worse than its worst {reference_worst} "
            f"when the objective is to {direction}"
        )
    if fraction == 1.0:
        return float(reference_best)  # exactly, without rounding through the range
    return float(reference_worst + fraction * (reference_best - reference_worst))


def distinct_design_values(
    table: pd.DataFrame, parameters: Sequence[str], objective: str
) -> np.ndarray:
    """One outcome per distinct design of a lookup table: repeated designs are averaged.

    This is the ``values`` argument of :func:`random_expectation`.
    """
    grouped = table.groupby(list(parameters), sort=False, dropna=False)[objective]
    return grouped.mean().to_numpy(dtype=float)


def _log_choose(log_factorials: np.ndarray, total: int | np.ndarray, chosen: int) -> np.ndarray:
    """Return log C(total, chosen) from a table of log(m!) for m = 0..N."""
    total = np.asarray(total)
    return np.asarray(
        log_factorials[total] - log_factorials[chosen] - log_factorials[total - chosen]
    )


def _worst_first(values: Sequence[float] | np.ndarray, direction: Direction) -> np.ndarray:
    """Finite table values sorted so that the worst comes first; refuse NaN and empty."""
    _check_direction(direction)
    table = np.asarray(values, dtype=float).ravel()
    if table.size == 0:
        raise ValueError("the table has no values")
    if not np.all(np.isfinite(table)):
        raise ValueError("table values must be finite: drop or average away failed designs")
    ordered = np.sort(table)
    return ordered if direction == "maximize" else ordered[::-1]


def random_expectation(
    values: Sequence[float] | np.ndarray, n_max: int, direction: Direction
) -> np.ndarray:
    """Exact expected best of n experiments drawn at random without replacement from a table.

    ``values`` holds one outcome per distinct design (see
    :func:`distinct_design_values`). Element ``n - 1`` of the result is the
    expected best value of ``n`` designs drawn uniformly at random without
    replacement, for n = 1..min(n_max, N).

    With the N values sorted worst first, v_(1), ..., v_(N), the best of a
    random n-subset is v_(i) with probability C(i-1, n-1) / C(N, n) (equivalently
    P(best <= v_(i)) = C(i, n) / C(N, n) when maximizing). Tied values are
    interchangeable, so ranking ties in any order gives the exact expectation.
    The binomials are computed in log space, so tables of many thousand designs
    work.
    """
    ordered = _worst_first(values, direction)
    if n_max < 1:
        raise ValueError(f"n_max must be at least 1, not {n_max}")
    size = ordered.size
    log_factorials = gammaln(np.arange(size + 1) + 1.0)
    rank = np.arange(1, size + 1)  # 1-based rank, worst first
    expectation = np.empty(min(n_max, size))
    for n in range(1, expectation.size + 1):
        top = rank[n - 1 :]  # the best of n designs has rank at least n
        log_weight = _log_choose(log_factorials, top - 1, n - 1) - _log_choose(
            log_factorials, size, n
        )
        expectation[n - 1] = float(np.dot(np.exp(log_weight), ordered[n - 1 :]))
    return expectation


def random_hit_probability(
    values: Sequence[float] | np.ndarray, n_max: int, target: float, direction: Direction
) -> np.ndarray:
    """Exact probability that n random designs (without replacement) include one reaching target.

    Element ``n - 1`` is 1 - C(M, n) / C(N, n), where M of the N distinct
    designs fall short of ``target``; n = 1..min(n_max, N).
    """
    ordered = _worst_first(values, direction)
    if n_max < 1:
        raise ValueError(f"n_max must be at least 1, not {n_max}")
    size = ordered.size
    short = ordered < target if direction == "maximize" else ordered > target
    misses = int(np.count_nonzero(short))
    log_factorials = gammaln(np.arange(size + 1) + 1.0)
    probability = np.ones(min(n_max, size))
    for n in range(1, min(misses, probability.size) + 1):
        log_all_miss = _log_choose(log_factorials, misses, n) - _log_choose(log_factorials, size, n)
        probability[n - 1] = -np.expm1(log_all_miss)
    return probability


def _check_traces(traces: pd.DataFrame) -> None:
    missing = [c for c in TRACE_COLUMNS if c not in traces.columns]
    if missing:
        raise ValueError(f"traces lack column(s) {', '.join(missing)}")
    if traces.empty:
        raise ValueError("traces are empty")


def _campaign_values(campaign: pd.DataFrame, strategy: object, seed: object) -> np.ndarray:
    """One campaign's values ordered by experiment; refuse gaps or repeats in the numbering."""
    ordered = campaign.sort_values("experiment", kind="stable")
    numbers = ordered["experiment"].to_numpy()
    if not np.array_equal(numbers, np.arange(1, len(numbers) + 1)):
        raise ValueError(
            f"strategy {strategy!r}, seed {seed!r}: experiments must be numbered 1..n "
            "without gaps or repeats"
        )
    return ordered["value"].to_numpy(dtype=float)


def seed_curves(traces: pd.DataFrame, direction: Direction) -> dict[str, np.ndarray]:
    """Best-so-far curves per strategy, as a (seeds x experiments) matrix.

    Strategies come in the order they first appear in ``traces``. The curves
    are recomputed from ``value`` (so the traces' own ``best_so_far`` column is
    not needed), and every seed of a strategy is cut to the shortest of its
    campaigns, so that each experiment number has all the seeds behind it.
    """
    _check_direction(direction)
    _check_traces(traces)
    curves: dict[str, np.ndarray] = {}
    for strategy, runs in traces.groupby("strategy", sort=False):
        campaigns = [
            best_so_far(_campaign_values(campaign, strategy, seed), direction)
            for seed, campaign in runs.groupby("seed", sort=False)
        ]
        length = min(len(c) for c in campaigns)
        curves[str(strategy)] = np.vstack([c[:length] for c in campaigns])
    return curves


def seed_quantiles(
    curves: np.ndarray, quantiles: Sequence[float], direction: Direction
) -> np.ndarray:
    """Quantiles over seeds (axis 0) of best-so-far curves, a seed with no success yet ranked worst.

    Returns an array (len(quantiles), experiments). A campaign whose
    experiments have all failed so far has best-so-far NaN; it counts as worse
    than any value, so a quantile that falls on or next to such a campaign is
    NaN rather than a flattering figure over the lucky seeds. Quantiles are
    of the values (the 25th percentile is the lower one, also when
    minimizing), interpolated linearly as numpy's default.
    """
    _check_direction(direction)
    matrix = np.asarray(curves, dtype=float)
    if matrix.ndim == 1:
        matrix = matrix[:, np.newaxis]
    if direction == "maximize":  # failures (NaN) first, at the low end
        ordered = np.flip(-np.sort(-matrix, axis=0), axis=0)
    else:  # failures last, at the high end
        ordered = np.sort(matrix, axis=0)
    position = (matrix.shape[0] - 1) * np.asarray(quantiles, dtype=float)
    below = np.floor(position).astype(int)
    above = np.ceil(position).astype(int)
    low, high = ordered[below], ordered[above]
    weight = (position - below)[:, np.newaxis]
    return np.asarray(low + weight * (high - low))  # NaN if either neighbour is a failure


def _percent_label(fraction: float) -> str:
    """0.95 -> '95pct', 0.995 -> '99.5pct'."""
    return f"{100 * fraction:g}pct"


def checkpoint_columns(checkpoint: int) -> tuple[str, str, str]:
    """Names of the median, 25th and 75th percentile columns at a checkpoint."""
    return (f"median_at_{checkpoint}", f"q25_at_{checkpoint}", f"q75_at_{checkpoint}")


def threshold_columns(fraction: float) -> tuple[str, str]:
    """Names of the median-experiments and seeds-reached columns for a threshold."""
    label = _percent_label(fraction)
    return (f"experiments_to_{label}_median", f"reached_{label}")


def _median_experiments(first_hits: Sequence[int | None]) -> float:
    """Median experiments to reach, a seed that never reached counting as infinitely many.

    Finite exactly when more than half of the seeds reached; NaN otherwise.
    """
    counts = [np.inf if hit is None else float(hit) for hit in first_hits]
    median = float(np.median(counts))
    return median if np.isfinite(median) else float("nan")


def _batch_seconds(traces: pd.DataFrame) -> np.ndarray:
    """Planner seconds per suggest call.

    The traces repeat a batch's time on every experiment the batch proposed;
    each run of equal consecutive values within a campaign is taken as one
    call. (Two consecutive calls timed identically to the last digit would
    merge into one; with a real clock that only happens for calls too fast to
    time, where it hardly moves the median.)
    """
    seconds: list[np.ndarray] = []
    for _, campaign in traces.groupby("seed", sort=False):
        timed = campaign.sort_values("experiment", kind="stable")["suggest_seconds"]
        timed = timed.astype(float)
        starts = timed.ne(timed.shift())
        seconds.append(timed[starts].dropna().to_numpy())
    return np.concatenate(seconds) if seconds else np.empty(0)


def summarize(
    traces: pd.DataFrame,
    direction: Direction,
    *,
    reference: tuple[float, float] | None,
    checkpoints: Sequence[int] = (10, 20, 30, 50),
    thresholds: Sequence[float] = (0.95, 0.99),
) -> pd.DataFrame:
    """One row per strategy (in order of first appearance) summarizing its seeds.

    Columns:

    - ``strategy``, ``seeds`` (number of campaigns);
    - for each checkpoint k, ``median_at_k``, ``q25_at_k``, ``q75_at_k``: the
      median and interquartile range over seeds of best-so-far after k
      experiments (see :func:`seed_quantiles` for seeds with no success yet).
      A checkpoint appears only if some strategy ran that many experiments in
      every seed; a strategy with a smaller budget has NaN there;
    - when ``reference = (best, worst)`` of the table is given, for each
      threshold f (0.95 is labelled ``95pct``), ``experiments_to_95pct_median``:
      median over seeds of the first experiment whose best-so-far reaches
      :func:`target_value` (seeds that never reach it count as never, so the
      median is reported only if more than half of the seeds reached it, else
      NaN), and ``reached_95pct``: how many of the ``seeds`` reached it (an
      integer, shown as "17/20" by the report). Omitted when ``reference`` is
      None (a simulator has no table);
    - ``median_suggest_seconds``: median planner time over suggest calls of
      all seeds, one entry per call whatever its batch size (see
      :func:`_batch_seconds`).

    A strategy's budget is its shortest campaign: longer seeds are cut to it,
    for the checkpoints and for the thresholds alike.
    """
    curves = seed_curves(traces, direction)
    budgets = {strategy: matrix.shape[1] for strategy, matrix in curves.items()}
    shown = sorted({k for k in checkpoints if 1 <= k <= max(budgets.values())})
    targets = (
        {}
        if reference is None
        else {f: target_value(reference[0], reference[1], f, direction) for f in thresholds}
    )
    columns = ["strategy", "seeds"]
    columns += [name for k in shown for name in checkpoint_columns(k)]
    columns += [name for f in targets for name in threshold_columns(f)]
    columns += ["median_suggest_seconds"]

    rows: list[dict[str, object]] = []
    for strategy, matrix in curves.items():
        row: dict[str, object] = {"strategy": strategy, "seeds": matrix.shape[0]}
        for k in (k for k in shown if k <= budgets[strategy]):
            q25, median, q75 = seed_quantiles(matrix[:, k - 1], (0.25, 0.5, 0.75), direction)
            names = checkpoint_columns(k)
            row.update({names[0]: median[0], names[1]: q25[0], names[2]: q75[0]})
        for fraction, target in targets.items():
            hits = [experiments_to_reach(curve, target, direction) for curve in matrix]
            median_name, reached_name = threshold_columns(fraction)
            row[median_name] = _median_experiments(hits)
            row[reached_name] = sum(hit is not None for hit in hits)
        seconds = _batch_seconds(traces[traces["strategy"].astype(str) == strategy])
        row["median_suggest_seconds"] = float(np.median(seconds)) if seconds.size else np.nan
        rows.append(row)
    return pd.DataFrame(rows, columns=columns)


def exact_random_row(
    expectation: Sequence[float] | np.ndarray, checkpoints: Sequence[int] = (10, 20, 30, 50)
) -> dict[str, object]:
    """The exact random expectation at the checkpoints, as an extra row for the summary.

    Keys follow :func:`summarize` (``strategy`` is :data:`RANDOM_LABEL`, the
    value at checkpoint k goes under ``median_at_k``) so the row lines up with
    the strategies' medians; it is an expectation, as its label says, and has
    no spread. Checkpoints beyond the expectation's length are left out.
    """
    curve = np.asarray(expectation, dtype=float)
    row: dict[str, object] = {"strategy": RANDOM_LABEL}
    for k in sorted(checkpoints):
        if 1 <= k <= curve.size:
            row[checkpoint_columns(k)[0]] = float(curve[k - 1])
    return row
