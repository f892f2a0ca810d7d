"""A small run of the fault benchmark: the figures it prints come from real campaigns."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.fault_campaigns import emulated_bench, hte_campaign, spread
from benchmarks.faults import emulated_with_faults, fault_table, hte_with_faults, with_kills

pytestmark = pytest.mark.slow


def test_spread_gives_increasing_thresholds() -> None:
    assert spread(5, 3, 43) == [3, 13, 23, 33, 43]


def test_faults_on_both_campaigns_cost_no_experiment(tmp_path: Path) -> None:
    rows = [
        emulated_with_faults(tmp_path / "emulated", budget=2),
        hte_with_faults(tmp_path / "hte", budget=8, plate=4),
    ]
    for row in rows:
        assert row.tally.finished, row
        assert row.tally.lost == 0 and row.tally.duplicated == 0, row
        assert int(row.injected.split()[0]) >= 1, row
    assert "charged to infrastructure" in str(fault_table(rows).columns[6].header)


def test_kills_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    campaign = hte_campaign(tmp_path / "hte", budget=4, plate=4)
    row = with_kills("Suzuki HTE plates", campaign, tmp_path / "k.db", 4, 2)
    assert row.tally.finished and row.tally.lost == 0 and row.tally.duplicated == 0, row
    bench = emulated_bench(tmp_path / "emulated", budget=1)
    bench.emulated.stop()
    assert not bench.emulated.running


def test_the_operator_puts_a_device_taken_out_of_service_back(tmp_path: Path) -> None:
    from benchmarks.faults import OPERATOR, put_back_in_service
    from datastore import Datastore
    from lab.running.campaigns import load_campaign, open_campaign
    from lab.services import devices as device_service

    loaded = load_campaign(hte_campaign(tmp_path / "hte", budget=4, plate=4))
    store = Datastore(f"sqlite:///{tmp_path / 'run.db'}")
    open_campaign(store, loaded, "test")
    device = loaded.lab.devices[0].name
    device_service.set_in_service(store, loaded.lab.name, device, False, OPERATOR, "injected")
    assert device_service.lab_status(store, loaded.lab).out_of_service == {device: "injected"}
    assert put_back_in_service(store, loaded) == 1
    assert device_service.lab_status(store, loaded.lab).out_of_service == {}
    assert put_back_in_service(store, loaded) == 0
