"""Benchmark analysis: best-so-far, the exact random baseline, summaries, plot and table."""

from __future__ import annotations

import itertools
import math
import re
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from lab.bench.plot import plot_best_so_far
from lab.bench.report import format_experiments, format_seconds, format_value, summary_table
from lab.bench.summary import (
    RANDOM_LABEL,
    best_so_far,
    distinct_design_values,
    exact_random_row,
    experiments_to_reach,
    random_expectation,
    random_hit_probability,
    seed_curves,
    seed_quantiles,
    summarize,
    target_value,
)
from tests.conftest import DATA, needs_data

NAN = float("nan")
SUZUKI_DESIGN = ["reactant_1", "reactant_2", "ligand", "base", "solvent"]


# --- best-so-far, experiments to reach, targets ---------------------------------------------


def test_best_so_far_skips_failures_and_is_nan_until_the_first_success() -> None:
    values = [NAN, 3.0, NAN, 1.0, 5.0, 4.0]
    np.testing.assert_array_equal(best_so_far(values, "maximize"), [NAN, 3.0, 3.0, 3.0, 5.0, 5.0])
    np.testing.assert_array_equal(best_so_far(values, "minimize"), [NAN, 3.0, 3.0, 1.0, 1.0, 1.0])


def test_best_so_far_of_nothing_and_of_only_failures() -> None:
    assert best_so_far([], "maximize").size == 0
    assert np.isnan(best_so_far([NAN, NAN], "minimize")).all()
    with pytest.raises(ValueError, match="direction"):
        best_so_far([1.0], "max")  # type: ignore[arg-type]


def test_experiments_to_reach_is_one_based_and_none_when_never() -> None:
    best = np.array([NAN, 3.0, 3.0, 5.0])
    assert experiments_to_reach(best, 3.0, "maximize") == 2
    assert experiments_to_reach(best, 4.0, "maximize") == 4
    assert experiments_to_reach(best, 5.5, "maximize") is None
    falling = np.array([NAN, NAN, 9.0, 2.0])
    assert experiments_to_reach(falling, 9.0, "minimize") == 3
    assert experiments_to_reach(falling, 2.5, "minimize") == 4
    assert experiments_to_reach(falling, 1.0, "minimize") is None


def test_target_value_is_a_fraction_of_the_range() -> None:
    assert target_value(100.0, 0.0, 0.95, "maximize") == 95.0
    assert target_value(80.0, 20.0, 0.5, "maximize") == 50.0
    # E-factor: best 2, worst 40; 95 % of the way from worst to best
    assert target_value(2.0, 40.0, 0.95, "minimize") == pytest.approx(3.9)
    assert target_value(0.7, 0.1, 1.0, "maximize") == 0.7
    with pytest.raises(ValueError, match="worse than"):
        target_value(2.0, 40.0, 0.95, "maximize")
    with pytest.raises(ValueError, match="fraction"):
        target_value(100.0, 0.0, 1.5, "maximize")


# --- the exact random-sampling expectation --------------------------------------------------


def brute_force_expectation(values: list[float], n: int, direction: str) -> float:
    pick = max if direction == "maximize" else min
    subsets = list(itertools.combinations(values, n))
    return sum(pick(s) for s in subsets) / len(subsets)


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
@pytest.mark.parametrize(
    "values",
    [
        [4.0],
        [1.0, 2.0, 3.0],
        [3.0, 1.0, 3.0, 2.0, 2.0, 7.0, 0.0],  # ties
        [5.0, 5.0, 5.0, 5.0],  # all tied
        [-2.5, 10.0, 0.5, 0.5, -7.0, 3.25, 10.0, 1.0, -2.5],
    ],
)
def test_random_expectation_equals_brute_force_enumeration(
    values: list[float], direction: str
) -> None:
    exact = random_expectation(np.array(values), 20, direction)  # type: ignore[arg-type]
    assert exact.shape == (len(values),)  # n_max beyond N stops at N
    for n in range(1, len(values) + 1):
        assert exact[n - 1] == pytest.approx(brute_force_expectation(values, n, direction))


def test_random_expectation_hand_computed() -> None:
    # pairs of {1, 2, 2, 5}: maxima 2, 2, 5, 2, 5, 5 -> 21/6; minima 1, 1, 1, 2, 2, 2 -> 9/6
    np.testing.assert_allclose(
        random_expectation([1.0, 2.0, 2.0, 5.0], 4, "maximize"), [2.5, 3.5, 4.25, 5.0]
    )
    np.testing.assert_allclose(random_expectation([1.0, 2.0, 2.0, 5.0], 2, "minimize"), [2.5, 1.5])


def test_random_expectation_agrees_with_monte_carlo() -> None:
    rng = np.random.default_rng(7)
    table = rng.gamma(2.0, 10.0, size=300).round(1)  # skewed, with ties from rounding
    exact = random_expectation(table, 25, "maximize")
    draws = 20_000
    # each row a random permutation of the table: its first n entries are n draws without
    # replacement
    shuffled = table[np.argsort(rng.random((draws, table.size)), axis=1)]
    for n in (1, 5, 25):
        best = shuffled[:, :n].max(axis=1)
        standard_error = best.std() / math.sqrt(draws)
        assert abs(best.mean() - exact[n - 1]) < 4 * standard_error


def test_random_expectation_scales_to_thousands_of_designs() -> None:
    table = np.linspace(0.0, 1.0, 5760)
    exact = random_expectation(table, 5760, "maximize")
    # uniform grid on [0, 1]: E[max of n] = 1 - (N - n) / ((n + 1)(N - 1)) exactly
    n = np.arange(1, 5761)
    np.testing.assert_allclose(exact, 1 - (5760 - n) / ((n + 1) * 5759), rtol=1e-9)
    assert np.all(np.diff(exact) >= -1e-12)


def test_random_expectation_refuses_failed_designs_and_empty_tables() -> None:
    with pytest.raises(ValueError, match="finite"):
        random_expectation([1.0, NAN], 2, "maximize")
    with pytest.raises(ValueError, match="no values"):
        random_expectation([], 2, "maximize")
    with pytest.raises(ValueError, match="n_max"):
        random_expectation([1.0], 0, "maximize")


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_random_hit_probability_equals_brute_force(direction: str) -> None:
    values = [3.0, 1.0, 3.0, 2.0, 2.0, 7.0, 0.0, 4.5]
    target = 3.0
    probability = random_hit_probability(values, 8, target, direction)  # type: ignore[arg-type]
    for n in range(1, len(values) + 1):
        subsets = list(itertools.combinations(values, n))
        reaches = (lambda v: v >= target) if direction == "maximize" else (lambda v: v <= target)
        hit = sum(any(reaches(v) for v in s) for s in subsets) / len(subsets)
        assert probability[n - 1] == pytest.approx(hit)


def test_distinct_design_values_average_repeats() -> None:
    table = pd.DataFrame(
        {"a": ["x", "x", "y", "x"], "b": ["", "", "", "z"], "yield": [10.0, 20.0, 5.0, 1.0]}
    )
    assert sorted(distinct_design_values(table, ["a", "b"], "yield")) == [1.0, 5.0, 15.0]


BASELINES = "random_search_baselines.csv"
SUZUKI_5760 = "suzuki_miyaura_perera2018/suzuki_miyaura_5760.csv"
SUZUKI_3696 = "suzuki_miyaura_perera2018/suzuki_miyaura_edbo_subset_3696.csv"


@pytest.mark.parametrize(
    ("dataset", "path"),
    [
        pytest.param("suzuki_miyaura_5760", SUZUKI_5760, marks=needs_data(SUZUKI_5760, BASELINES)),
        pytest.param(
            "suzuki_miyaura_edbo_subset_3696",
            SUZUKI_3696,
            marks=needs_data(SUZUKI_3696, BASELINES),
        ),
    ],
)
def test_random_expectation_matches_the_published_suzuki_baselines(dataset: str, path: str) -> None:
    table = pd.read_csv(DATA / path, keep_default_na=False)
    values = distinct_design_values(table, SUZUKI_DESIGN, "yield")
    assert len(values) == len(table)  # one row per design: the figures must agree
    published = pd.read_csv(DATA / BASELINES, keep_default_na=False)
    published = published[published["dataset"] == dataset]
    assert set(published["N_random_experiments"]) >= {20, 30, 50}
    assert (published["n_space"] == len(values)).all()

    n_max = int(published["N_random_experiments"].max())
    exact = random_expectation(values, n_max, "maximize")
    best, worst = float(values.max()), float(values.min())
    for row in published.to_dict("records"):
        n = int(row["N_random_experiments"])
        # published to 0.1 or 0.01: ours must round to the same figure
        assert exact[n - 1] == pytest.approx(row["expected_best_yield_random"], abs=0.051)
        for percent in (99, 95, 90):
            target = target_value(best, worst, percent / 100, "maximize")
            hit = random_hit_probability(values, n, target, "maximize")[n - 1]
            assert hit == pytest.approx(row[f"P_hit_>={percent}%_of_max"], abs=0.00051)


# --- summarize ------------------------------------------------------------------------------

# bo: four seeds of 12 experiments; best-so-far after 10 is 40, 50, 20, 1
BO = {
    0: [NAN, NAN, NAN, 10, 5, 20, 15, 30, 25, 40, 35, 48],
    1: [50, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    2: [0, 0, 0, 0, 0, 0, 0, 0, 0, 20, 49, 49.6],
    3: [1] * 12,
}
# a batch of 8 proposed in 0.1 s, then two batches of 2 taking 3 + seed and 4 + seed seconds
BO_SECONDS = {seed: [0.1] * 8 + [3.0 + seed] * 2 + [4.0 + seed] * 2 for seed in BO}
# random: three seeds of 25 experiments, value = experiment x (seed + 1)
RANDOM = {seed: [e * (seed + 1.0) for e in range(1, 26)] for seed in range(3)}
# flaky: three seeds of 10 experiments, one of which never succeeds
FLAKY = {0: [NAN] * 10, 1: [5.0] * 10, 2: [NAN] * 9 + [7.0]}


def traces_frame(sign: float = 1.0) -> pd.DataFrame:
    """Traces of three strategies, first seen in the order random, bo, flaky; rows shuffled."""
    rows = []
    for strategy, runs in (("random", RANDOM), ("bo", BO), ("flaky", FLAKY)):
        block = []
        for seed, values in runs.items():
            for experiment, value in enumerate(values, start=1):
                seconds = BO_SECONDS[seed][experiment - 1] if strategy == "bo" else 0.002
                block.append(
                    {
                        "strategy": strategy,
                        "seed": seed,
                        "experiment": experiment,
                        "value": sign * value,
                        "best_so_far": NAN,  # not read: summarize recomputes it
                        "suggest_seconds": seconds,
                    }
                )
        rows += block[::-1]  # experiments out of order within each strategy
    return pd.DataFrame(rows)


def test_summarize_medians_iqr_thresholds_and_suggest_time() -> None:
    summary = summarize(traces_frame(), "maximize", reference=(50.0, 0.0), checkpoints=(30, 20, 10))
    assert list(summary["strategy"]) == ["random", "bo", "flaky"]
    assert list(summary.columns) == [
        "strategy",
        "seeds",
        "median_at_10",
        "q25_at_10",
        "q75_at_10",
        "median_at_20",
        "q25_at_20",
        "q75_at_20",
        "experiments_to_95pct_median",
        "reached_95pct",
        "experiments_to_99pct_median",
        "reached_99pct",
        "median_suggest_seconds",
    ]  # no strategy ran 30 experiments: no column for 30
    rows = summary.set_index("strategy")
    assert list(rows["seeds"]) == [3, 4, 3]

    # bo after 10: 1, 20, 40, 50 -> median 30, quartiles 1 + 0.75*19 and 40 + 0.25*10
    bo = rows.loc["bo"]
    assert (bo["median_at_10"], bo["q25_at_10"], bo["q75_at_10"]) == (30.0, 15.25, 42.5)
    assert np.isnan(bo["median_at_20"]) and np.isnan(bo["q75_at_20"])  # beyond its budget
    # 95 % of 50 = 47.5: reached at 12, 1, 11 and never -> median of 1, 11, 12, inf = 11.5
    assert (bo["experiments_to_95pct_median"], bo["reached_95pct"]) == (11.5, 3)
    # 99 % = 49.5: reached at 1 and 12 only: half the seeds is not enough for a median
    assert np.isnan(bo["experiments_to_99pct_median"]) and bo["reached_99pct"] == 2
    # per suggest call, not per experiment (that would be 0.1):
    # 0.1 x4, then 3, 4 | 4, 5 | 5, 6 | 6, 7 -> 12 calls, the middle two are 4 and 4
    assert bo["median_suggest_seconds"] == 4.0

    random = rows.loc["random"]
    assert (random["median_at_10"], random["q25_at_10"], random["q75_at_10"]) == (20, 15, 25)
    assert (random["median_at_20"], random["q25_at_20"], random["q75_at_20"]) == (40, 30, 50)
    # 47.5 reached at 24 (seed 1) and 16 (seed 2); 49.5 at 25 and 17; seed 0 never
    assert (random["experiments_to_95pct_median"], random["reached_95pct"]) == (24, 2)
    assert (random["experiments_to_99pct_median"], random["reached_99pct"]) == (25, 2)
    assert random["median_suggest_seconds"] == 0.002

    # a seed with no success yet ranks worst: 25th percentile falls between it and 5
    flaky = rows.loc["flaky"]
    assert (flaky["median_at_10"], flaky["q75_at_10"]) == (5.0, 6.0)
    assert np.isnan(flaky["q25_at_10"])
    assert flaky["reached_95pct"] == 0 and np.isnan(flaky["experiments_to_95pct_median"])


def test_summarize_minimize_mirrors_maximize() -> None:
    summary = summarize(traces_frame(-1.0), "minimize", reference=(-50.0, 0.0))
    rows = summary.set_index("strategy")
    assert "median_at_30" not in summary.columns and "median_at_50" not in summary.columns
    bo = rows.loc["bo"]
    assert (bo["median_at_10"], bo["q25_at_10"], bo["q75_at_10"]) == (-30.0, -42.5, -15.25)
    assert (bo["experiments_to_95pct_median"], bo["reached_95pct"]) == (11.5, 3)
    flaky = rows.loc["flaky"]
    assert (flaky["median_at_10"], flaky["q25_at_10"]) == (-5.0, -6.0)
    assert np.isnan(flaky["q75_at_10"])  # the failed seed is the worst, at the high end
    assert rows.loc["random", "experiments_to_99pct_median"] == 25


def test_summarize_without_reference_has_no_threshold_columns() -> None:
    summary = summarize(traces_frame(), "maximize", reference=None, checkpoints=(5,))
    assert list(summary.columns) == [
        "strategy",
        "seeds",
        "median_at_5",
        "q25_at_5",
        "q75_at_5",
        "median_suggest_seconds",
    ]


def test_summarize_cuts_seeds_to_the_shortest_campaign() -> None:
    traces = traces_frame()
    shorter = traces[~((traces["strategy"] == "random") & (traces["seed"] == 2))]
    shorter = shorter[~((shorter["strategy"] == "random") & (shorter["experiment"] > 20))]
    extra = traces[(traces["strategy"] == "random") & (traces["seed"] == 2)]
    curves = seed_curves(pd.concat([shorter, extra]), "maximize")
    assert curves["random"].shape == (3, 20)
    assert curves["bo"].shape == (4, 12)


def test_summarize_refuses_gaps_in_the_experiment_numbers() -> None:
    traces = traces_frame()
    traces = traces[~((traces["strategy"] == "bo") & (traces["experiment"] == 5))]
    with pytest.raises(ValueError, match=r"'bo', seed \d: experiments must be numbered 1\.\.n"):
        summarize(traces, "maximize", reference=None)
    with pytest.raises(ValueError, match="suggest_seconds"):
        summarize(traces_frame().drop(columns="suggest_seconds"), "maximize", reference=None)


def test_seed_quantiles_match_numpy_without_failures() -> None:
    curves = np.random.default_rng(3).normal(size=(7, 5))
    quantiles = (0.1, 0.25, 0.5, 0.75, 0.9)
    for direction in ("maximize", "minimize"):
        np.testing.assert_allclose(
            seed_quantiles(curves, quantiles, direction),  # type: ignore[arg-type]
            np.quantile(curves, quantiles, axis=0),
        )


def test_exact_random_row_at_the_checkpoints_it_covers() -> None:
    expectation = np.arange(1.0, 26.0)
    row = exact_random_row(expectation, (10, 20, 30))
    assert row == {"strategy": RANDOM_LABEL, "median_at_10": 10.0, "median_at_20": 20.0}


# --- plot -----------------------------------------------------------------------------------


def png_size_pixels(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_plot_writes_a_png_with_random_curve_and_table_best(tmp_path: Path) -> None:
    path = tmp_path / "best_so_far.png"
    written = plot_best_so_far(
        traces_frame(),
        path,
        title="hand-made traces",
        direction="maximize",
        objective_label="yield (%)",
        random_curve=np.linspace(1.0, 40.0, 60),  # longer than any strategy: cut at 25
        reference_best=50.0,
    )
    assert written == path
    assert png_size_pixels(path) == (960, 600)  # 8 x 5 inches at 120 dpi
    assert 30_000 < path.stat().st_size < 1_000_000  # empty axes alone are about 12 kB


def test_plot_minimize_without_table(tmp_path: Path) -> None:
    path = plot_best_so_far(
        traces_frame(-1.0),
        tmp_path / "min.png",
        title="minimized",
        direction="minimize",
        objective_label="E-factor",
    )
    assert png_size_pixels(path) == (960, 600)
    assert path.stat().st_size > 30_000


# --- the terminal table ---------------------------------------------------------------------

MISSING_CELL = "—"


def rendered(summary: pd.DataFrame, random_row: dict[str, object] | None) -> str:
    console = Console(record=True, width=100)
    console.print(summary_table(summary, title="hand-made benchmark", random_row=random_row))
    return console.export_text()


def test_table_shows_medians_iqr_thresholds_and_the_random_row() -> None:
    summary = summarize(traces_frame(), "maximize", reference=(50.0, 0.0), checkpoints=(10, 20))
    text = rendered(summary, exact_random_row(np.arange(1.0, 26.0), (10, 20)))
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "…" not in text  # nothing truncated
    header = next(line for line in lines if "strategy" in line)
    assert re.split(r"\s{2,}", header.strip()) == [
        "strategy",
        "after 10",
        "after 20",
        "to 95 %",
        "to 99 %",
        "suggest",
    ]
    bo = lines.index(next(line for line in lines if line.startswith("bo ")))
    # figure on the first line of the row, spread or seeds reached under it
    assert lines[bo].split() == ["bo", "30.0", MISSING_CELL, "11.5", MISSING_CELL, "4.00", "s"]
    assert lines[bo + 1].split() == ["4", "seeds", "[15.2–42.5]", "(3/4)", "(2/4)"]
    random = lines.index(next(line for line in lines if line.startswith("random ")))
    assert lines[random].split() == ["random", "20.0", "40.0", "24", "25", "2.0", "ms"]
    assert lines[random + 1].split() == [
        "3",
        "seeds",
        "[15.0–25.0]",
        "[30.0–50.0]",
        "(2/3)",
        "(2/3)",
    ]
    flaky = lines.index(next(line for line in lines if line.startswith("flaky ")))
    assert lines[flaky + 1].split() == ["3", "seeds", f"[{MISSING_CELL}–6.0]", "(0/3)", "(0/3)"]
    exact = next(line for line in lines if line.startswith("random (exact"))
    assert exact.split() == ["random", "(exact", "10.0", "20.0"]


def test_table_fits_100_columns_with_four_checkpoints_and_two_thresholds() -> None:
    rows = []
    for strategy in ("bo-candidates", "baybe", "sobol", "random"):
        row: dict[str, object] = {"strategy": strategy, "seeds": 20}
        for k in (10, 20, 30, 50):
            row |= {f"median_at_{k}": 99.6, f"q25_at_{k}": 99.1, f"q75_at_{k}": 100.0}
        row |= {
            "experiments_to_95pct_median": 12.5,
            "reached_95pct": 18,
            "experiments_to_99pct_median": 150.5,
            "reached_99pct": 11,
            "median_suggest_seconds": 12.34,
        }
        rows.append(row)
    text = rendered(pd.DataFrame(rows), exact_random_row(np.linspace(50, 99, 50)))
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "…" not in text
    assert "[99.1–100.0]" in text and "(18/20)" in text and "150.5" in text
    assert "12.3 s" in text and "bo-candidates" in text


def test_table_without_reference_or_random_row() -> None:
    summary = summarize(traces_frame(-1.0), "minimize", reference=None, checkpoints=(10,))
    text = rendered(summary, None)
    assert "to 95 %" not in text and "to X %" not in text and "exact" not in text
    assert "-30.0" in text and "[-42.5–-15.2]" in text


def test_cell_formats() -> None:
    assert [format_value(v) for v in (12345.6, 96.25, 0.97123, -3.0, NAN)] == [
        "12,346",
        "96.2",
        "0.971",
        "-3.0",
        MISSING_CELL,
    ]
    assert [format_experiments(v) for v in (12.0, 12.5, NAN)] == ["12", "12.5", MISSING_CELL]
    assert [format_seconds(v) for v in (0.0004, 0.45, 123.4)] == ["0.4 ms", "0.45 s", "123.4 s"]
