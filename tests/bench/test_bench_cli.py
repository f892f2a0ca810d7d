"""``dbtl bench`` from the command line: outputs, resumption, bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.bench.tables import write_grid
from tests.lab.test_cli import dbtl

TRACE_COLUMNS = ["strategy", "seed", "experiment", "value", "best_so_far", "suggest_seconds"]


@pytest.fixture
def grid(tmp_path: Path) -> Path:
    return write_grid(tmp_path / "grid.csv", repeats=2)


def test_bench_writes_traces_summary_plot_and_a_datastore(
    grid: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "out"
    args = ["bench", "--dataset", str(grid), "--objective", "yield", "--strategies", "bo,random"]
    args += ["--budget", "12", "--batch", "3", "--seeds", "2", "--out", str(out)]
    code, printed = dbtl(monkeypatch, capsys, *args)
    assert code == 0, printed
    assert "parameters inferred from grid.csv: catalyst, temperature_C, solvent" in printed
    assert "random (exact" in printed

    traces = pd.read_csv(out / "traces.csv")
    assert list(traces.columns) == TRACE_COLUMNS
    assert len(traces) == 2 * 2 * 12
    for (_, _), run in traces.groupby(["strategy", "seed"]):
        assert list(run["experiment"]) == list(range(1, 13))
        assert (run["best_so_far"] == run["value"].cummax()).all()
        assert run["suggest_seconds"].nunique() == 4  # one planner call per batch of 3
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary["strategy"]) == ["bo", "random"]
    assert {"median_at_10", "q25_at_10", "q75_at_10", "median_suggest_seconds"} <= set(summary)
    assert "median_at_20" not in summary
    assert {"mean_at_10", "se_at_10", "random_mean_at_10", "random_median_at_10"} <= set(summary)
    assert {"reached_top1pct", "experiments_to_top1pct_km_median"} <= set(summary)
    assert "random_experiments_to_top1pct_restricted_mean" in summary
    assert summary["random_mean_at_10"].nunique() == 1  # the same table for both strategies
    assert "mean @10" in printed and "to top 1 %" in printed
    png = (out / "best_so_far.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000

    db = f"sqlite:///{out / 'campaigns' / 'bench-grid-bo-s1' / 'campaign.db'}"
    hint = f"a run: dbtl show bench-grid-bo-s0 --db sqlite:///{out}/campaigns/bench-grid-bo-s0/"
    assert hint in " ".join(printed.split())
    code, printed = dbtl(monkeypatch, capsys, "show", "bench-grid-bo-s1", "--db", db)
    assert code == 0 and "completed 12" in printed

    # the same command again: every run is finished, nothing is run twice
    code, printed = dbtl(monkeypatch, capsys, *args)
    assert code == 0, printed
    again = pd.read_csv(out / "traces.csv")
    pd.testing.assert_frame_equal(again, traces)


def test_minimize_and_explicit_parameters(grid: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    out = tmp_path / "min"
    args = ["bench", "--dataset", str(grid), "--objective", "yield", "--minimize"]
    args += ["--params", "catalyst,solvent", "--strategies", "random", "--budget", "4"]
    args += ["--batch", "2", "--seeds", "1", "--out", str(out)]
    code, printed = dbtl(monkeypatch, capsys, *args)
    assert code == 0, printed
    traces = pd.read_csv(out / "traces.csv")
    assert (traces["best_so_far"] == traces["value"].cummin()).all()
    assert "minimize yield" in printed


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--objective", "yeild"], "no objective column(s) yeild"),
        (["--objective", "solvent", "--params", "catalyst"], "is not numeric"),
        (["--objective", "yield", "--strategies", "bo,magic"], "unknown strategy 'magic'"),
        (["--objective", "yield", "--budget", "2", "--batch", "3"], "--budget 2 is smaller"),
        (["--objective", "yield", "--budget", "40"], "exceeds the 32 distinct designs"),
        (["--objective", "yield", "--params", "catalyst,pressure"], "parameter column(s) pressure"),
        (["--objective", "yield", "--simulator", "snar"], "exactly one of --dataset"),
        ([], "--dataset needs --objective"),
        (["--objective", "yield", "--noise", "0.1"], "--noise applies to --simulator only"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    grid: Path, tmp_path: Path, monkeypatch, capsys, extra: list[str], message: str
) -> None:
    out = tmp_path / "bad"
    code, printed = dbtl(
        monkeypatch, capsys, "bench", "--dataset", str(grid), "--out", str(out), *extra
    )
    assert code == 2, printed
    assert message in printed and "Traceback" not in printed
    assert not (out / "campaigns").exists()


def test_missing_parameter_values_are_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    path = write_grid(tmp_path / "grid.csv")
    frame = pd.read_csv(path, keep_default_na=False, dtype=str)
    frame.loc[4, "solvent"] = ""
    frame.to_csv(path, index=False)
    code, printed = dbtl(
        monkeypatch, capsys, "bench", "--dataset", str(path), "--objective", "yield",
        "--params", "catalyst,solvent", "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code == 2
    assert (
        "parameter column 'solvent'" in printed and "1 missing value(s) (file lines 6)" in printed
    )


def test_unknown_simulator_and_objective(tmp_path: Path, monkeypatch, capsys) -> None:
    code, printed = dbtl(monkeypatch, capsys, "bench", "--simulator", "suzuki")
    assert code == 2 and "unknown simulator 'suzuki'; allowed: snar" in printed
    code, printed = dbtl(monkeypatch, capsys, "bench", "--simulator", "snar", "--objective", "x")
    assert code == 2 and "no objective 'x'; allowed: sty_kg_m3_h, e_factor, yield_pct" in printed


def test_snar_simulator_reports_the_summit_threshold(tmp_path: Path, monkeypatch, capsys) -> None:
    out = tmp_path / "snar"
    args = ["bench", "--simulator", "snar", "--strategies", "sobol", "--budget", "4"]
    args += ["--batch", "2", "--seeds", "1", "--out", str(out)]
    code, printed = dbtl(monkeypatch, capsys, *args)
    assert code == 0, printed
    summary = pd.read_csv(out / "summary.csv")
    assert "reached_summit_threshold" in summary
    assert "sty_kg_m3_h ≥ 10000 and e_factor ≤ 10" in printed
    traces = pd.read_csv(out / "traces.csv")
    assert len(traces) == 4 and traces["value"].gt(0).all()
