"""The defaults protocol: synthetic tables, the resumable cache, and the choosing arithmetic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from benchmarks.planner_protocol import (
    CACHE_COLUMNS,
    Config,
    DevTable,
    build_report,
    markdown,
    read_cache,
    run_protocol,
)
from benchmarks.protocol_report import (
    TableFacts,
    gap_closed,
    leave_one_table_out,
    median_below_random,
    spans,
    table_summary,
)
from benchmarks.synthetic_tables import (
    OBJECTIVE,
    many_levels,
    with_interactions,
    zero_inflated,
)


def test_synthetic_tables_are_seeded_and_shaped_as_described() -> None:
    for make, rows in ((zero_inflated, 3600), (with_interactions, 1152), (many_levels, 1440)):
        table = make()
        assert len(table) == rows
        pd.testing.assert_frame_equal(table, make())  # same seed, same table
        assert not table.equals(make(seed=1))
        assert table[OBJECTIVE].between(0, 100).all()
    assert 0.5 < (zero_inflated()[OBJECTIVE] == 0).mean() < 0.75
    assert (with_interactions()[OBJECTIVE] == 0).mean() < 0.05
    assert many_levels()["additive"].nunique() == 24


def small_table() -> pd.DataFrame:
    """Eight ligands × three bases of the interactions table at one solvent and temperature."""
    table = with_interactions()
    keep = (table["solvent"] == "solv01") & (table["temperature_c"] == 65.0)
    return table[keep].drop(columns=["solvent", "temperature_c"]).reset_index(drop=True)


TINY = DevTable("tiny", small_table, ["ligand", "base"], OBJECTIVE, budget=10)
CONFIGS = (Config("default"), Config("block", {"prior": "block"}))


@pytest.mark.slow
def test_run_protocol_caches_each_campaign_and_resumes(tmp_path: Path) -> None:
    cache = tmp_path / "protocol.csv"
    console = Console(quiet=True)
    run_protocol(cache, [TINY], CONFIGS, 2, console)
    first = read_cache(cache)
    assert list(first.columns) == list(CACHE_COLUMNS)
    assert len(first) == 4
    assert all(len(v.split(";")) == 10 for v in first["values"])
    run_protocol(cache, [TINY], CONFIGS, 2, console)  # all done: nothing is run again
    pd.testing.assert_frame_equal(read_cache(cache), first)
    # a run killed while writing leaves a cut-off row: it is run again, the rest kept
    text = cache.read_text().splitlines()
    cut = text[-1].split(";")[0]
    cache.write_text("\n".join([*text[:-1], cut]) + "\n")
    run_protocol(cache, [TINY], CONFIGS, 3, console)
    again = read_cache(cache)
    complete = again[again["values"].str.count(";") == 9]
    assert sorted(zip(complete["config"], complete["seed"], strict=True)) == [
        (c.label, s) for c in sorted(CONFIGS, key=lambda c: c.label) for s in range(3)
    ]
    report = build_report(again, [TINY], CONFIGS, 3)
    assert list(report.scores.columns) == ["default", "block"]
    assert report.choice is None  # one table: nothing to leave out
    text = markdown(report)
    assert "tiny (48, 10, @10; 3 seeds)" in text
    assert "nan" not in text


def cache_rows(table: str, config: str, runs: list[list[float]]) -> list[dict[str, object]]:
    return [
        {
            "table": table,
            "config": config,
            "seed": seed,
            "budget": len(values),
            "batch": 1,
            "values": ";".join(str(v) for v in values),
            "seconds": "0.5;0.25",
        }
        for seed, values in enumerate(runs)
    ]


def test_table_summary_pairs_seeds_and_scores_the_gap_closed() -> None:
    facts = TableFacts("t", "maximize", 10, np.arange(1.0, 101.0))
    base = [[10.0] * 10, [20.0] * 10, [30.0] * 10]
    better = [[15.0] * 10, [26.0] * 10, [100.0] * 10]
    cache = pd.DataFrame(
        cache_rows("t", "default", base)
        + cache_rows("t", "new", better)
        + cache_rows("t", "new", [[1.0] * 9])  # a cut-off row is ignored
    )
    summary = table_summary(cache, facts, ["default", "new"], "default").set_index("config")
    assert summary.loc["new", "seeds"] == 3
    assert summary.loc["new", "mean_at_10"] == pytest.approx(47.0)
    assert summary.loc["new", "delta_vs_default"] == pytest.approx((5 + 6 + 70) / 3)
    assert summary.loc["new", "delta_se"] == pytest.approx(np.std([5, 6, 70], ddof=1) / np.sqrt(3))
    random_at_10 = 10 * 101 / 11  # E[max of 10 draws from 1..100]
    assert summary.loc["new", "random_mean_at_10"] == pytest.approx(random_at_10)
    assert summary.loc["new", "p_top1pct_by_10"] == pytest.approx(1 / 3)
    assert summary.loc["default", "p_top1pct_by_10"] == 0.0
    assert summary.loc["new", "median_suggest_seconds"] == pytest.approx(0.375)
    new = summary.loc["new"]
    assert new["gap_closed"] == pytest.approx((47.0 - random_at_10) / (100.0 - random_at_10))
    assert gap_closed(47.0, facts, at=1) == pytest.approx((47.0 - 50.5) / (100.0 - 50.5))
    assert gap_closed(100.0, facts) == pytest.approx(1.0)
    assert gap_closed(random_at_10, facts) == pytest.approx(0.0)


def test_leave_one_table_out_chooses_on_the_other_tables() -> None:
    scores = pd.DataFrame(
        {"default": [0.5, 0.1, 0.1], "a": [0.0, 0.4, 0.3], "b": [0.2, 0.2, 0.5]},
        index=["t1", "t2", "t3"],
    )
    choice = leave_one_table_out(scores, "default").set_index("held_out")
    # without t1: a 0.35, b 0.35, default 0.1 -> a (first listed of the tie)
    assert choice.loc["t1", "chosen"] == "a"
    assert choice.loc["t1", "chosen_score"] == 0.0
    assert choice.loc["t1", "best_config_on_table"] == "default"
    # without t2: default 0.3, a 0.15, b 0.35 -> b; without t3: default 0.3, a 0.2, b 0.2
    assert choice.loc["t2", "chosen"] == "b"
    assert choice.loc["t3", "chosen"] == "default"
    assert choice.loc["t3", "default_score"] == 0.1
    with pytest.raises(ValueError, match="two complete tables"):
        leave_one_table_out(scores.iloc[:1], "default")


def test_report_lists_where_the_median_curve_runs_below_random() -> None:
    # values 1..100: the exact random expected best of k draws is k * 101 / (k + 1)
    facts = TableFacts("t", "maximize", 10, np.arange(1.0, 101.0))
    random = [k * 101 / (k + 1) for k in range(1, 11)]  # 50.5, 67.3, 75.75, 80.8, 84.2, ...
    low = [40.0, 60.0, 70.0, 80.0, 86.0, 90.0, 92.0, 92.0, 92.0, 92.0]
    runs = [[95.0] * 10, low, low]  # the median over seeds is the low curve
    cache = pd.DataFrame(
        cache_rows("t", "new", runs) + cache_rows("t", "default", [[99.0] * 10] * 3)
    )
    summary = table_summary(cache, facts, ["new"], "new").set_index("config")
    # below random at 2, 3 and 4; not at 1 (the first batch, of one here) nor from 5 on
    assert all(low[k - 1] < random[k - 1] for k in (1, 2, 3, 4))
    assert all(low[k - 1] > random[k - 1] for k in range(5, 11))
    assert summary.loc["new", "median_below_random_at"] == "2–4"
    later = cache.assign(batch=3)  # with a first batch of 3, only experiment 4 counts
    summary = table_summary(later, facts, ["new"], "new").set_index("config")
    assert summary.loc["new", "median_below_random_at"] == "4"
    above = table_summary(cache, facts, ["default"], "default").set_index("config")
    assert above.loc["default", "median_below_random_at"] == "none"
    report = build_report_text(cache, facts)
    assert "| t | 2–4 | none |" in report


def build_report_text(cache: pd.DataFrame, facts: TableFacts) -> str:
    from benchmarks.planner_protocol_markdown import ProtocolReport

    summary = table_summary(cache, facts, ["new", "default"], "new")
    scores = summary.pivot(index="table", columns="config", values="gap_closed")
    return markdown(ProtocolReport(summary, scores[["new", "default"]], None, {"t": facts}))


def test_median_below_random_respects_the_direction_and_spans_print_runs() -> None:
    curves = np.array([[5.0, 4.0, 3.0], [5.0, 4.0, 1.0], [6.0, 2.0, 1.0]])
    random = np.array([4.5, 3.5, 2.5])
    # minimized: medians 5, 4, 1 are worse (higher) than random at 1 and 2
    assert median_below_random(curves, random, "minimize", 0) == [1, 2]
    assert median_below_random(curves, random, "minimize", 1) == [2]
    assert median_below_random(curves, random, "maximize", 0) == [3]
    assert spans([2, 3, 4, 7, 9, 10]) == "2–4, 7, 9–10"
    assert spans([]) == "none"


def test_the_default_baseline_is_the_defaults_in_force() -> None:
    from benchmarks.planner_protocol import BASELINE_LABEL, CONFIGS, _parser, with_baseline
    from planner.strategies.candidate_bo import CandidateBayesianOptimization

    assert _parser().parse_args([]).baseline == BASELINE_LABEL
    options = next(c.options for c in CONFIGS if c.label == BASELINE_LABEL)
    strategy = CandidateBayesianOptimization()
    configured = CandidateBayesianOptimization(**options)
    assert configured.surrogate_options == strategy.surrogate_options
    assert (configured.initial, configured.batch) == (strategy.initial, strategy.batch)
    labels = [c.label for c in with_baseline([Config("x")], BASELINE_LABEL)]
    assert labels == [BASELINE_LABEL, "x"]
    with pytest.raises(SystemExit, match="unknown baseline"):
        with_baseline([], "nope")
