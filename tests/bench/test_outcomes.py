"""Exact random order statistics and the chemists' summary, on small tables with known answers."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from lab.bench.exact_random import (
    random_best_quantiles,
    random_first_hit_cdf,
    random_first_hit_median,
    random_restricted_mean,
    top_fraction_target,
)
from lab.bench.outcomes import kaplan_meier_median, mean_and_se, outcome_summary


def brute_best_distribution(values: list[float], n: int, direction: str) -> list[float]:
    pick = max if direction == "maximize" else min
    return sorted(pick(s) for s in itertools.combinations(values, n))


def brute_first_hit(values: list[float], good: set[int]) -> list[int]:
    """Experiments to the first good index over every order of the table (all equally likely)."""
    return [
        next(i for i, j in enumerate(order, start=1) if j in good)
        for order in itertools.permutations(range(len(values)))
    ]


def test_random_best_quantiles_hand_computed() -> None:
    # best of 2 from {1, 2, 3, 4}: P(<=2) = 1/6, P(<=3) = 3/6, P(<=4) = 1
    assert list(random_best_quantiles([4.0, 2.0, 1.0, 3.0], 2, (0.25, 0.5, 0.75), "maximize")) == [
        3.0,
        3.0,
        4.0,
    ]
    # minimizing: best of 2 is the smaller; P(>=3) = 1/6, P(>=2) = 1/2, P(>=1) = 1
    assert list(random_best_quantiles([4.0, 2.0, 1.0, 3.0], 2, (0.25, 0.5, 0.75), "minimize")) == [
        2.0,
        2.0,
        1.0,
    ]


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_random_best_quantiles_invert_the_enumerated_distribution(direction: str) -> None:
    values = [3.0, 1.0, 3.0, 2.0, 2.0, 7.0, 0.0, 5.5]
    for n in range(1, len(values) + 1):
        bests = brute_best_distribution(values, n, direction)
        if direction == "minimize":
            bests = bests[::-1]  # worst (largest) first
        for q in (0.25, 0.5, 0.75):
            # the worst best-value whose share of subsets at least this bad reaches q
            expected = bests[int(np.ceil(q * len(bests))) - 1]
            got = random_best_quantiles(values, n, (q,), direction)[0]  # type: ignore[arg-type]
            assert got == expected, (n, q)


def test_top_fraction_target_counts_ties() -> None:
    assert top_fraction_target(np.arange(1.0, 201.0), 0.01, "maximize") == 199.0  # top 2 of 200
    assert top_fraction_target(np.arange(1.0, 201.0), 0.01, "minimize") == 2.0
    assert top_fraction_target([1.0, 5.0, 3.0], 0.01, "maximize") == 5.0  # at least one design
    with pytest.raises(ValueError, match="fraction"):
        top_fraction_target([1.0], 0.0, "maximize")


def test_random_first_hit_one_good_design_in_four() -> None:
    values = [1.0, 2.0, 3.0, 9.0]
    np.testing.assert_allclose(
        random_first_hit_cdf(values, 9.0, 6, "maximize"), [0.25, 0.5, 0.75, 1, 1, 1]
    )
    assert random_first_hit_median(values, 9.0, "maximize") == 2
    # E[T] = (N + 1) / (K + 1) = 2.5 when the budget covers the table
    assert random_restricted_mean(values, 9.0, 4, "maximize") == pytest.approx(2.5)
    # budget 2: min(T, 2) is 1 w.p. 1/4, else 2
    assert random_restricted_mean(values, 9.0, 2, "maximize") == pytest.approx(1.75)


@pytest.mark.parametrize("budget", [1, 2, 3, 5])
def test_random_first_hit_matches_enumeration(budget: int) -> None:
    values = [0.0, 4.0, 1.0, 4.0, 2.0]
    times = brute_first_hit(values, {1, 3})  # both 4.0 rows
    assert random_restricted_mean(values, 4.0, budget, "maximize") == pytest.approx(
        np.mean(np.minimum(times, budget))
    )
    cdf = random_first_hit_cdf(values, 4.0, budget, "maximize")
    np.testing.assert_allclose(cdf, [np.mean(np.array(times) <= n) for n in range(1, budget + 1)])
    assert random_first_hit_median(values, 4.0, "maximize") == int(np.ceil(np.median(times)))
    with pytest.raises(ValueError, match="no design"):
        random_first_hit_median(values, 5.0, "maximize")


def test_kaplan_meier_median_counts_censored_campaigns() -> None:
    # t=1: 4 at risk, 1 hit -> S = 3/4; t=3: 3 at risk, 1 hit -> S = 1/2
    assert kaplan_meier_median([1, None, 3, None], 4) == 3.0
    # dropping the never-met would give median 2; counting them as hits at the budget, 3.5
    # a campaign censored early leaves the risk set: t=2: 3 at risk -> 2/3; t=5: 2 -> 1/3
    assert kaplan_meier_median([2, None, None, 5], [5, 1, 5, 5]) == 5.0
    assert np.isnan(kaplan_meier_median([None, None, 7], 10))  # more than the budget
    with pytest.raises(ValueError, match="within"):
        kaplan_meier_median([11], 10)


def test_mean_and_se() -> None:
    mean, se = mean_and_se([1.0, 2.0, 3.0, 4.0])
    assert mean == 2.5
    assert se == pytest.approx(np.std([1, 2, 3, 4], ddof=1) / 2)
    assert np.isnan(mean_and_se([5.0])[1])


def traces(runs: dict[str, dict[int, list[float]]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"strategy": s, "seed": seed, "experiment": e, "value": v, "suggest_seconds": 0.0}
            for s, by_seed in runs.items()
            for seed, values in by_seed.items()
            for e, v in enumerate(values, start=1)
        ]
    )


def test_outcome_summary_next_to_exact_random() -> None:
    table = np.arange(1.0, 101.0)  # 100 designs: the top 1 % is the single 100
    runs = {
        "bo": {0: [50.0, 100.0, 1.0, 1.0], 1: [10.0, 20.0, 30.0, 40.0], 2: [99.0, 1.0, 2.0, 100.0]},
    }
    summary = outcome_summary(traces(runs), "maximize", table, checkpoints=(2, 4), by=(2, 4))
    row = summary.iloc[0]
    assert row["mean_at_2"] == pytest.approx((100 + 20 + 99) / 3)
    assert row["se_at_2"] == pytest.approx(np.std([100, 20, 99], ddof=1) / np.sqrt(3))
    assert row["random_mean_at_2"] == pytest.approx(
        np.mean([max(p) for p in itertools.combinations(table, 2)])
    )
    assert row["p_top1pct_by_2"] == pytest.approx(1 / 3)
    assert row["p_top1pct_by_4"] == pytest.approx(2 / 3)
    assert row["random_p_top1pct_by_4"] == pytest.approx(0.04)
    assert row["top1pct_target"] == 100.0
    assert row["reached_top1pct"] == 2
    assert row["experiments_to_top1pct_km_median"] == 4.0  # S: 2/3 after 2, 1/3 after 4
    assert row["random_experiments_to_top1pct_median"] == 50.0
    assert row["experiments_to_top1pct_restricted_mean"] == pytest.approx((2 + 4 + 4) / 3)
    assert row["random_experiments_to_top1pct_restricted_mean"] == pytest.approx(
        1 + 0.99 + 0.98 + 0.97
    )
    assert list(summary.columns[:4]) == ["strategy", "mean_at_2", "se_at_2", "random_mean_at_2"]


def test_outcome_summary_without_a_table_has_only_the_campaign_figures() -> None:
    runs = {"bo": {0: [3.0, 1.0], 1: [2.0, 2.0]}}
    summary = outcome_summary(traces(runs), "minimize", None, checkpoints=(1, 2, 10))
    row = summary.iloc[0]
    assert (row["mean_at_1"], row["mean_at_2"]) == (2.5, 1.5)
    assert "mean_at_10" not in summary.columns  # beyond every budget
    assert summary.filter(like="random_").isna().all().all()
    assert summary.filter(like="top1pct").isna().all().all()


def test_outcome_table_shows_each_figure_over_its_random_value() -> None:
    from rich.console import Console

    from lab.bench.outcome_report import outcome_table

    table = np.arange(1.0, 101.0)
    runs = {"bo": {s: [1.0] * 19 + [100.0 if s == 0 else 2.0] for s in range(3)}}
    summary = outcome_summary(traces(runs), "maximize", table)
    console = Console(width=100, record=True)
    console.print(outcome_table(summary, title="t", budget=20))
    text = console.export_text()
    assert "34.7 ± 32.7" in text  # best after 20: 100, 2, 2
    assert "random 96.2" in text  # E[max of 20 of 1..100] = 20 * 101 / 21
    assert "33 %" in text and "random 20 %" in text  # top 1 % by 20
    assert "> 20" in text and "random 50" in text  # fewer than half found it
