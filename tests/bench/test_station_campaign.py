"""A table replayed by an experiment station, through the ordinary campaign loop."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from datastore import Datastore
from datastore import repository as repo
from drivers.errors import DeviceError
from drivers.station import Station
from lab.bench.runs import BenchJob, run_job
from lab.bench.scenarios import TableScenario
from lab.bench.tables import load_dataset
from lab.running.campaigns import load_campaign
from lab.specs.yamlio import SpecError
from simulators.experiment_table import ExperimentTable, ExperimentTableSpec
from simulators.table_station import TableStation
from tests.bench.tables import BEST, true_yield, write_grid


@pytest.fixture
def scenario(tmp_path: Path) -> TableScenario:
    return TableScenario(load_dataset(write_grid(tmp_path / "grid.csv"), "yield"), "grid")


def _job(scenario: TableScenario, folder: Path, url: str, strategy: str, budget: int) -> BenchJob:
    path = scenario.write(folder, strategy, 1, budget, 4)
    return BenchJob(path, url, strategy, 1, "yield", "maximize")


@pytest.mark.parametrize("strategy", ["random", "bo"])
def test_a_campaign_only_runs_designs_of_the_table_once_each(
    scenario: TableScenario, tmp_path: Path, store: Datastore, strategy: str
) -> None:
    result = run_job(_job(scenario, tmp_path / "runs", store.url, strategy, 12))
    assert [r["experiment"] for r in result.rows] == list(range(1, 13))
    with store.session() as session:
        campaign = repo.get_campaign(session, f"bench-grid-{strategy}-s1")
        experiments = repo.list_experiments(session, campaign.id or 0)
    designs = [e.parameters for e in experiments]
    keys = {(d["catalyst"], d["temperature_C"], d["solvent"]) for d in designs}
    assert len(keys) == 12, "a design was run twice"
    for design, row in zip(designs, result.rows, strict=True):
        assert row["value"] == pytest.approx(
            true_yield(design["catalyst"], design["temperature_C"], design["solvent"])
        )
    assert all(e.status == "completed" for e in experiments)
    assert all(row["suggest_seconds"] >= 0 for row in result.rows)


def test_bo_finds_the_optimum_of_a_small_table(
    scenario: TableScenario, tmp_path: Path, store: Datastore
) -> None:
    result = run_job(_job(scenario, tmp_path / "runs", store.url, "bo", 16))
    assert result.rows[-1]["best_so_far"] == pytest.approx(100.0)


def test_running_a_finished_job_again_changes_nothing(
    scenario: TableScenario, tmp_path: Path, store: Datastore
) -> None:
    job = _job(scenario, tmp_path / "runs", store.url, "random", 8)
    first = run_job(job)
    again = run_job(job)
    assert again.rows == first.rows


def test_the_written_files_are_an_ordinary_campaign(
    scenario: TableScenario, tmp_path: Path
) -> None:
    path = scenario.write(tmp_path, "bo", 3, 10, 2)
    loaded = load_campaign(path)
    problem = loaded.problem
    assert problem.candidates is not None and len(problem.candidates) == 32
    assert loaded.spec.strategy.seed == 3
    assert loaded.lab.devices[0].kind == "station"


def test_a_parameter_the_station_does_not_take_is_refused(
    scenario: TableScenario, tmp_path: Path
) -> None:
    path = scenario.write(tmp_path, "bo", 0, 10, 2)
    text = path.read_text().replace(
        "builder: station", "builder: station\n  inputs: {pressure: solvent}"
    )
    path.write_text(text)
    with pytest.raises(
        SpecError, match=r"protocol\.inputs: the station has no condition\(s\) pressure"
    ):
        load_campaign(path)


def test_station_refuses_conditions_absent_from_the_table(tmp_path: Path) -> None:
    path = write_grid(tmp_path / "grid.csv")
    frame = pd.read_csv(path)
    frame.loc[0, "yield"] = float("nan")
    frame.to_csv(path, index=False)
    spec = ExperimentTableSpec(
        table=path, parameters=("catalyst", "temperature_C", "solvent"), outcomes=("yield",)
    )
    station = Station("table", TableStation("table", ExperimentTable.load(spec)))
    assert station.run(BEST, "k1") == {"yield": pytest.approx(100.0)}
    assert station.recall("k1", BEST) == {"yield": pytest.approx(100.0)}
    assert station.recall("never-run", BEST) == {"yield": pytest.approx(100.0)}  # a replay
    assert station.recall("k9", {**BEST, "catalyst": "Pt"}) is None
    with pytest.raises(DeviceError, match="no experiment with catalyst='Pt'"):
        station.run({**BEST, "catalyst": "Pt"}, "k2")
    first = {"catalyst": "Pd_A", "temperature_C": 30.0, "solvent": "MeCN"}
    with pytest.raises(DeviceError, match="no experiment with"):
        station.run(first, "k3")  # its only row has no yield: not a design of the table


def test_criterion_summary_counts_seeds_that_never_met_it() -> None:
    from lab.bench.driver import criterion_summary

    first_met = pd.DataFrame(
        {
            "strategy": ["bo", "bo", "bo", "random", "random", "random"],
            "seed": [0, 1, 2, 0, 1, 2],
            "Summit threshold": [4, 8, None, 30, None, None],
        }
    )
    stats = criterion_summary(first_met, "Summit threshold").set_index("strategy")
    assert stats.loc["bo", "experiments_to_summit_threshold_median"] == 8  # never = worst
    assert stats.loc["bo", "experiments_to_summit_threshold_mean"] == 6
    assert stats.loc["bo", "experiments_to_summit_threshold_sd"] == 2
    assert stats.loc["bo", "reached_summit_threshold"] == 2
    assert pd.isna(stats.loc["random", "experiments_to_summit_threshold_median"])
    assert stats.loc["random", "reached_summit_threshold"] == 1


def test_a_run_left_running_by_a_crash_is_recalled_from_the_table(
    scenario: TableScenario, tmp_path: Path, store: Datastore
) -> None:
    from datastore.states import ExperimentStatus as S
    from lab.running.campaigns import open_campaign

    job = _job(scenario, tmp_path / "runs", store.url, "random", 8)
    campaign, _ = open_campaign(store, load_campaign(job.campaign), "tester")
    with store.session() as session:
        (first,) = repo.add_proposals(
            session,
            campaign,
            1,
            [repo.NewExperiment(dict(BEST))],
            repo.NewSnapshot("random", 0, 0.0),
            actor="tester",
        )
    for target in (S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED, S.RUNNING):
        with store.session() as session:
            repo.transition(session, first.id, target, actor="tester")
    result = run_job(job)  # the crashed run is settled first, then the campaign goes on
    assert result.rows[0]["value"] == pytest.approx(100.0)
    assert len(result.rows) == 8
    with store.session() as session:
        statuses = {e.status for e in repo.list_experiments(session, campaign.id or 0)}
    assert statuses == {"completed"}
