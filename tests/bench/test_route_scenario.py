from pathlib import Path

import pytest

from datastore import Datastore
from lab.bench.route_scenario import RouteScenario
from lab.bench.scenarios import SIMULATORS
from lab.running.campaigns import load_campaign
from lab.running.runner import run_campaign


@pytest.mark.slow
def test_the_route_scenario_writes_a_campaign_the_loop_runs(tmp_path: Path) -> None:
    assert SIMULATORS["route"] is RouteScenario
    scenario = RouteScenario()
    assert len(scenario.routes) >= 2
    best, worst = scenario.reference or (0.0, 0.0)
    assert 30.0 < best <= 100.0 and worst == 0.0
    path = scenario.write(tmp_path, "random", 3, budget=4, batch=2)
    loaded = load_campaign(path)
    assert loaded.spec.protocol.builder == "route"
    store = Datastore(f"sqlite:///{tmp_path / 'b.db'}")
    assert run_campaign(store, loaded).experiments_run == 4
    bo = load_campaign(scenario.write(tmp_path, "bo", 3, budget=4, batch=2))
    assert bo.spec.strategy.options == {"initial_designs": 6}
