"""The pathway scenario of ``dbtl bench``: a campaign the loop runs, and the per-cycle report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from datastore import Datastore
from lab.bench.cycles import cycle_table
from lab.bench.pathway_scenario import PathwayScenario
from lab.bench.scenarios import SIMULATORS
from lab.running.campaigns import load_campaign
from lab.running.runner import run_campaign
from tests.lab.test_cli import dbtl


def test_the_cycle_table_gives_each_strategy_its_gain_over_the_first_cycle() -> None:
    rows = []
    for strategy, values in {"ens": [1, 5, 9, 2], "random": [4, 1, 5, 3]}.items():
        best = pd.Series(values).cummax()
        rows += [
            {"strategy": strategy, "seed": 0, "experiment": i + 1, "best_so_far": b}
            for i, b in enumerate(best)
        ]
    table = cycle_table(pd.DataFrame(rows), batch=2, cycles=2, direction="maximize")
    ens = table.set_index("strategy").loc["ens"]
    assert (ens["cycle_1"], ens["cycle_2"], ens["gain_mean"]) == (5, 9, 4)
    assert ens["gain_vs_random"] == pytest.approx(4.0)  # random: 4 → 5


def test_cycles_and_budget_are_exclusive(monkeypatch, capsys) -> None:
    args = ["bench", "--simulator", "pathway", "--cycles", "2", "--budget", "10"]
    code, printed = dbtl(monkeypatch, capsys, *args)
    assert code == 2 and "give --budget or --cycles, not both" in printed


@pytest.mark.slow
def test_the_pathway_scenario_writes_a_campaign_the_loop_runs(tmp_path: Path) -> None:
    assert SIMULATORS["pathway"] is PathwayScenario
    scenario = PathwayScenario()
    best, worst = scenario.reference or (0.0, 0.0)
    assert best == pytest.approx(float(scenario.world.all_titers.max())) and 0 < worst < best
    path = scenario.write(tmp_path, "ensemble", 1, budget=16, batch=8)
    loaded = load_campaign(path)
    assert loaded.spec.protocol.builder == "pathway" and len(loaded.problem.candidates) == 19683
    store = Datastore(f"sqlite:///{tmp_path / 'b.db'}")
    assert run_campaign(store, loaded).experiments_run == 16
