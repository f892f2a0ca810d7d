"""Whole campaigns on the emulated flow bench: every device command crosses a real socket."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from datastore import repository as repo
from datastore.models import Experiment
from lab.running.campaigns import load_campaign
from lab.running.outages import DeviceOutageError
from lab.running.reporting import SilentReporter
from lab.running.runner import run_campaign, with_spec
from simulators.snar import snar_truth
from tests.conftest import ROOT
from tests.lab.emulated import emulated_lab_data, running_emulated_lab
from tests.lab.helpers import assert_valid_histories
from tests.lab.test_cli import dbtl
from tests.lab.test_cli_lab import free_port

pytestmark = pytest.mark.slow


def stored(store, name: str) -> list[Experiment]:
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        return repo.list_experiments(session, campaign.id)


def test_campaign_on_emulated_instruments_stores_true_results(tmp_path: Path, store) -> None:
    with running_emulated_lab(tmp_path, time_scale=600.0, budget=4) as lab:
        loaded = load_campaign(lab.campaign_path)
        result = run_campaign(store, loaded)
        pumps = {n: lab.emulated.devices[n].emulator for n in lab.emulated.devices}
        world_flow_after = lab.emulated.world.total_flow_ml_min()
    assert result.finished and result.experiments_run == 4
    experiments = stored(store, loaded.spec.name)
    assert [e.status for e in experiments] == ["completed"] * 4
    assert_valid_histories(store, loaded.spec.name)
    with store.session() as session:
        measured = repo.campaign_measurements(session, experiments[0].campaign_id)
    for experiment in experiments:
        truth = snar_truth(**{k: float(v) for k, v in experiment.parameters.items()})
        values = measured[experiment.id]
        assert values["sty_kg_m3_h"] == pytest.approx(truth.sty_kg_m3_h, rel=0.05)
        assert values["ortho_mol_l"] == pytest.approx(truth.outlet_mol_l[2], rel=0.05)
    assert len(list(lab.reports.glob("*.csv"))) == 4  # one report per injection
    assert "RUN" in pumps["pump_dfnb"].commands and "STP" in pumps["pump_dfnb"].commands
    assert world_flow_after == 0.0  # the pumps were stopped at the end


def test_a_pump_vanishing_mid_campaign_is_waited_for_then_named_not_failed(
    tmp_path: Path, store
) -> None:
    class UnplugOnSecond(SilentReporter):
        def __init__(self, unplug) -> None:
            self.unplug = unplug

        def experiment_started(self, experiment) -> None:
            if experiment.number == 2:
                self.unplug()

    with running_emulated_lab(tmp_path, time_scale=600.0, budget=2, outage_timeout_s=1.0) as lab:
        loaded = with_spec(load_campaign(lab.campaign_path), batch_size=1)
        started = time.monotonic()
        with pytest.raises(DeviceOutageError, match=r"^pump_dfnb: did not answer for 1 s"):
            run_campaign(store, loaded, UnplugOnSecond(lab.emulated.devices["pump_dfnb"].stop))
    assert time.monotonic() - started < 120
    first, second = stored(store, loaded.spec.name)
    assert first.status == "completed" and second.status in ("needs_attention", "queued")
    if second.status == "needs_attention":
        assert second.error is not None and "device pump_dfnb stopped answering" in second.error
    with store.session() as session:
        assert repo.get_campaign(session, loaded.spec.name).status == "paused"


def test_cli_run_against_the_emulate_command_in_another_process(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    data = emulated_lab_data(tmp_path / "hplc", time_scale=600.0)
    for device in data["devices"]:
        if "port" in device:
            device["port"] = f"socket://127.0.0.1:{free_port()}"
    lab_path = tmp_path / "lab.yaml"
    lab_path.write_text(yaml.safe_dump(data, sort_keys=False))
    campaign = (ROOT / "examples" / "snar_flow_emulated.yaml").read_text()
    campaign_path = tmp_path / "campaign.yaml"
    campaign_path.write_text(
        campaign.replace("lab: labs/flow_emulated.yaml", "lab: lab.yaml")
        .replace("budget: 8", "budget: 2")
        .replace("name: bo, seed", "name: sobol, seed")
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    emulator = subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "lab", "emulate", str(lab_path), "--duration", "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert emulator.stdout is not None
        banner = ""
        while "faster than real time" not in banner:
            line = emulator.stdout.readline()
            assert line, f"the emulator exited: {banner}"
            banner += line
        db = f"sqlite:///{tmp_path / 'run.db'}"
        code, out = dbtl(monkeypatch, capsys, "run", str(campaign_path), "--db", db)
        assert code == 0, out
        assert "budget reached: 2 experiment(s) run now" in out
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    assert len(list((tmp_path / "hplc").glob("*.csv"))) == 2
