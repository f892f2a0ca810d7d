"""A pathway plate cut short by a crash: nothing lost, nothing built twice.

In-process: a plate whose robot run and incubation the devices remember is
read again and recorded; one the robot or the incubator forgot is flagged
and never built again. End to end: `dbtl run` killed with SIGKILL while a
plate runs, then resumed, finishes the campaign with the plate flagged.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from datastore.states import ExperimentStatus as S
from drivers.liquid_handler import RobotProgram, RunReport
from lab.devices.assembly import build_devices, connected
from lab.running.campaigns import LoadedCampaign, load_campaign, open_campaign
from lab.running.plate_runner import plate_designs, plate_key, plate_name, run_plate
from lab.running.reconcile import reconcile_running
from lab.running.runner import run_campaign
from simulators.clock import SimulatedClock
from simulators.opentrons_sim import OpentronsSimulateBackend
from tests.lab.helpers import assert_valid_histories
from tests.lab.test_pathway_campaign import NAME, write_example

pytestmark = pytest.mark.slow


def spy_robot(monkeypatch) -> list[str]:
    keys: list[str] = []
    original = OpentronsSimulateBackend.run

    def run(self, program: RobotProgram, key: str, timeout_s: float) -> RunReport:
        keys.append(key)
        return original(self, program, key, timeout_s)

    monkeypatch.setattr(OpentronsSimulateBackend, "run", run)
    return keys


def plate_left_running(store: Datastore, loaded: LoadedCampaign, count: int = 4):
    """``count`` designs moved to ``running`` on one plate, as the loop does, then 'a crash'."""
    campaign, _ = open_campaign(store, loaded, "tester")
    designs = loaded.problem.candidates.rows()[::997][:count]  # type: ignore[union-attr]
    with store.session() as session:
        experiments = repo.add_proposals(
            session, campaign, 1, [repo.NewExperiment(d) for d in designs],
            repo.NewSnapshot("orthogonal-array", 0, 0.0), actor="tester",
        )  # fmt: skip
    plan = loaded.builder.build_plate(  # type: ignore[attr-defined]
        plate_designs(experiments), plate_name(loaded.spec.name, 1)
    )
    key = plate_key(loaded.spec.name, 1)
    with store.session() as session:
        for e in experiments:
            for target, actor in ((S.AWAITING_APPROVAL, "t"), (S.APPROVED, "policy:auto")):
                repo.transition(session, e.id, target, actor=actor)
            repo.transition(session, e.id, S.QUEUED, actor="tester")
            payload = {
                "protocol_sha256": plan.protocol.digest(),
                "plate": key,
                "well": plan.well_map[e.number],
                "approved_by": "policy:auto",
            }
            repo.transition(session, e.id, S.RUNNING, actor="tester", payload=payload)
    return campaign, plan, key


def stored(store: Datastore):
    with store.session() as session:
        campaign = repo.get_campaign(session, NAME)
        return repo.list_experiments(session, campaign.id), repo.campaign_measurements(
            session, campaign.id
        )


def test_a_plate_the_devices_remember_is_read_again_and_recorded(
    store: Datastore, tmp_path: Path, monkeypatch
) -> None:
    robot = spy_robot(monkeypatch)
    loaded = load_campaign(write_example(tmp_path, budget=4, batch=4))
    campaign, plan, key = plate_left_running(store, loaded)
    with connected(build_devices(loaded.lab, SimulatedClock())) as devices:
        first = run_plate(plan.protocol, loaded.lab, devices, key)  # then "the crash"
        outcome = reconcile_running(store, loaded, campaign.id, devices, "tester")
    assert sorted(outcome.completed + outcome.failed) == [1, 2, 3, 4] and not outcome.flagged
    assert robot == [f"{key}/ot2"]  # built once, read twice
    experiments, values = stored(store)
    outcomes = loaded.builder.plate_outcomes(plan.protocol, first)  # type: ignore[attr-defined]
    for experiment in experiments:
        expected = outcomes[experiment.number]
        if isinstance(expected, str):
            assert experiment.status == "failed" and experiment.error == expected
        else:  # the re-read gives exactly what the interrupted read gave
            assert experiment.status == "completed"
            assert values[experiment.id] == {m.name: m.value for m in expected}
    assert run_campaign(store, loaded).finished and robot == [f"{key}/ot2"]
    assert_valid_histories(store, NAME)


def test_a_plate_the_devices_forgot_is_flagged_and_never_built_again(
    store: Datastore, tmp_path: Path, monkeypatch
) -> None:
    robot = spy_robot(monkeypatch)
    loaded = load_campaign(write_example(tmp_path, budget=8, batch=4))
    campaign, _, key = plate_left_running(store, loaded)
    devices = build_devices(loaded.lab, SimulatedClock())  # a new process: the robot forgot
    outcome = reconcile_running(store, loaded, campaign.id, devices, "tester")
    assert outcome.flagged == [1, 2, 3, 4]
    for experiment in stored(store)[0]:
        assert experiment.status == "needs_attention" and "not re-run" in experiment.error
        assert f"ot2 has no record of run {key}/ot2" in experiment.error
    assert run_campaign(store, loaded).finished
    # plate 1 is never built again; flagged experiments are not charged to the budget
    # (a crash is infrastructure), so two new plates fill the budget of 8
    assert robot == [f"{NAME}/plate-5/ot2", f"{NAME}/plate-9/ot2"]
    statuses = [e.status for e in stored(store)[0]]
    assert statuses[:4] == ["needs_attention"] * 4
    assert set(statuses[4:]) <= {"completed", "failed"} and len(statuses) == 12
    assert_valid_histories(store, NAME)


def running(db_path: Path) -> set[int]:
    try:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            rows = connection.execute("SELECT number FROM experiment WHERE status = 'running'")
            return {int(n) for (n,) in rows.fetchall()}
        finally:
            connection.close()
    except sqlite3.OperationalError:
        return set()


def dbtl_run(spec: Path, db_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "run", str(spec), "--db", f"sqlite:///{db_path}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "120"},
    )


def test_kill_mid_plate_then_resume_flags_the_plate_and_finishes(tmp_path: Path) -> None:
    spec = write_example(tmp_path, budget=16, batch=8)
    db_path = tmp_path / "p.db"
    process = dbtl_run(spec, db_path)
    caught: set[int] = set()
    while process.poll() is None and not caught:
        caught = running(db_path)
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert caught, "never caught a plate running"
    final = dbtl_run(spec, db_path)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    store = Datastore(f"sqlite:///{db_path}")
    assert_valid_histories(store, NAME)  # none ran twice
    experiments, values = stored(store)
    numbers = [e.number for e in experiments]
    flagged = {e.number for e in experiments if e.status == "needs_attention"}
    assert flagged == caught
    # none lost, none repeated; the flagged plate is not charged (a crash is infrastructure)
    assert numbers == sorted(set(numbers)) and len(numbers) == 16 + len(flagged)
    for experiment in experiments:
        if experiment.number not in flagged:
            assert experiment.status in ("completed", "failed")
            assert (experiment.id in values) == (experiment.status == "completed")
    store.dispose()
