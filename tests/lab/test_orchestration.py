"""Leases, priorities, the orchestrator, pause/resume/abort, device faults and retries."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import leases as lease_repo
from datastore import repository as repo
from drivers.analyzer import Analyzer, AnalyzerBackend
from drivers.base import DeviceIdentity
from drivers.errors import DeviceError
from lab.review.control import ControlError, change_campaign, set_device_service
from lab.running.campaigns import open_campaign
from lab.running.leasing import (
    DeviceArbiter,
    LeaseKeeper,
    LeaseUnavailableError,
    holder_is_dead,
    lab_resource,
)
from lab.running.orchestrator import Orchestrator
from lab.running.reporting import SilentReporter
from lab.running.runner import run_campaign, with_spec
from lab.specs.campaign import ApprovalSpec, RetrySpec
from tests.lab.helpers import assert_valid_histories, small_campaign, swap_factory


def experiments(store: Datastore, name: str):
    with store.session() as session:
        return repo.list_experiments(session, repo.get_campaign(session, name).id)


# ------------------------------------------------------------------ leases


def test_a_lease_excludes_other_holders_until_released(store: Datastore) -> None:
    first, second = LeaseKeeper(store, "a@h:1"), LeaseKeeper(store, "b@h:2")
    assert first.try_acquire("lab:x")
    assert first.try_acquire("lab:x")  # re-entrant for its holder
    assert not second.try_acquire("lab:x")
    with pytest.raises(LeaseUnavailableError, match="lab:x is held by a@h:1"):
        second.acquire("lab:x", wait_s=0.2)
    first.close()
    assert second.try_acquire("lab:x")
    second.close()


def test_an_expired_lease_can_be_taken(store: Datastore) -> None:
    crashed = LeaseKeeper(store, "a@otherhost:1", ttl_s=0.2)
    assert crashed.try_acquire("device:x/pump")
    crashed._stop.set()  # the holder died: nobody renews
    time.sleep(0.3)
    assert LeaseKeeper(store, "b@h:2").try_acquire("device:x/pump")


def test_leases_are_renewed_while_held(store: Datastore) -> None:
    keeper = LeaseKeeper(store, "a@h:1", ttl_s=0.3)
    assert keeper.try_acquire("lab:x")
    time.sleep(0.8)  # longer than the TTL: renewal keeps it
    assert not LeaseKeeper(store, "b@h:2").try_acquire("lab:x")
    keeper.close()


def test_lease_of_a_dead_local_process_is_taken_over(store: Datastore) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    holder = f"ana@{socket.gethostname()}:{dead.pid}"
    assert holder_is_dead(holder)
    assert not holder_is_dead(f"ana@{socket.gethostname()}:{os.getpid()}")
    assert not holder_is_dead("ana@elsewhere:1")
    LeaseKeeper(store, holder).try_acquire("lab:x")
    assert LeaseKeeper(store, "b@h:2").try_acquire("lab:x")


def test_arbiter_runs_disjoint_devices_together_and_serves_priority_first(
    store: Datastore,
) -> None:
    arbiter = DeviceArbiter("lab", LeaseKeeper(store, "me@h:1"))
    overlap = threading.Barrier(2, timeout=5)

    def disjoint(devices: set[str]) -> None:
        with arbiter.hold(devices, priority=0) as granted:
            assert granted
            overlap.wait()  # both inside at once, or the barrier times out

    threads = [threading.Thread(target=disjoint, args=(d,)) for d in ({"pump"}, {"robot"})]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    order: list[str] = []
    release = threading.Event()

    def holder() -> None:
        with arbiter.hold({"pump"}, priority=0):
            release.wait(5)

    def waiter(name: str, priority: int) -> None:
        with arbiter.hold({"pump"}, priority=priority) as granted:
            assert granted
            order.append(name)

    first = threading.Thread(target=holder)
    first.start()
    time.sleep(0.1)
    low = threading.Thread(target=waiter, args=("low", 1))
    high = threading.Thread(target=waiter, args=("high", 9))
    low.start()
    time.sleep(0.1)
    high.start()
    time.sleep(0.1)
    release.set()
    for t in (first, low, high):
        t.join()
    assert order == ["high", "low"]
    busy = arbiter.hold({"pump"}, priority=0)
    with busy, arbiter.hold({"pump"}, priority=0, timeout_s=0.1) as granted:
        assert not granted


# ------------------------------------------------------------ orchestrator


def test_orchestrator_serves_every_campaign_of_its_lab(store: Datastore, examples: Path) -> None:
    low = with_spec(small_campaign(examples, name="low", budget=4), priority=1)
    high = with_spec(small_campaign(examples, name="high", budget=4), priority=5)
    for loaded in (low, high):
        open_campaign(store, loaded, "ops@lab")
    orchestrator = Orchestrator(store, low.lab, "orch@h:1", lambda _: SilentReporter(), poll_s=0.05)
    outcomes = orchestrator.serve(until_idle=True)
    assert outcomes == {"low": "finished: budget reached", "high": "finished: budget reached"}
    for name in ("low", "high"):
        assert [e.status for e in experiments(store, name)] == ["completed"] * 4
        assert_valid_histories(store, name)
    with store.session() as session:
        assert lease_repo.current(session, lab_resource(low.lab.name)) is None


def test_second_orchestrator_on_the_same_lab_is_refused(store: Datastore, examples: Path) -> None:
    loaded = small_campaign(examples)
    first = LeaseKeeper(store, "orch-1@h:1")
    first.acquire(lab_resource(loaded.lab.name))
    second = Orchestrator(store, loaded.lab, "orch-2@h:2", lambda _: SilentReporter())
    with pytest.raises(LeaseUnavailableError, match="lab:flow-sim is held by orch-1@h:1"):
        second.serve(until_idle=True)
    with pytest.raises(LeaseUnavailableError, match="held by orch-1"):
        run_campaign(store, loaded)
    first.close()


def test_lab_up_cli_exits_clearly_when_the_lab_is_served(store: Datastore, examples: Path) -> None:
    LeaseKeeper(store, "orch-1@elsewhere:1").acquire("lab:flow-sim")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lab.cli",
            "lab",
            "up",
            str(examples / "labs" / "flow_sim.yaml"),
            "--db",
            store.url,
            "--until-idle",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "lab:flow-sim is held by orch-1@elsewhere:1" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


# ------------------------------------------------------- pause/resume/abort


def test_pause_resume_abort(store: Datastore, examples: Path) -> None:
    loaded = small_campaign(examples, budget=6)
    run_campaign(store, small_campaign(examples, budget=2))
    run_campaign(store, loaded, wait=False)  # budget raised: runs to 6
    with pytest.raises(ControlError, match="it is completed"):
        change_campaign(store, "small", "pause", "ops")
    # a fresh campaign paused before it ran
    other = small_campaign(examples, name="other", budget=4)
    open_campaign(store, other, "ops")
    change_campaign(store, "other", "pause", "ops", "column swap")
    result = run_campaign(store, other, wait=False)
    assert not result.finished and "paused" in result.reason
    assert experiments(store, "other") == []
    with pytest.raises(ControlError, match="resume applies to paused"):
        change_campaign(store, "small", "resume", "ops")
    change_campaign(store, "other", "resume", "ops")
    assert run_campaign(store, other).finished
    with pytest.raises(ControlError, match="cannot abort"):
        change_campaign(store, "other", "abort", "ops")


def test_abort_abandons_what_has_not_started(store: Datastore, examples: Path) -> None:
    loaded = with_spec(
        small_campaign(examples, name="chem", budget=3, batch=3),
        approval=ApprovalSpec(policy="chemist"),
    )
    run_campaign(store, loaded, wait=False)
    abandoned = change_campaign(store, "chem", "abort", "ops@lab", "solvent recall")
    assert abandoned == [1, 2, 3]
    assert {e.error for e in experiments(store, "chem")} == {"campaign aborted: solvent recall"}
    assert run_campaign(store, loaded).reason == "campaign aborted"


# ------------------------------------------------------------------ faults


class BrokenAnalyzer(AnalyzerBackend):
    """An HPLC that fails every injection."""

    def identify(self) -> DeviceIdentity:
        return DeviceIdentity("broken")

    def measure(self, label: str, key: str):
        raise DeviceError("hplc", "lamp failure")


def test_retries_then_out_of_service_then_back(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    swap_factory(
        monkeypatch,
        "analyzer",
        "simulated",
        lambda spec, settings, ctx: Analyzer(spec.name, BrokenAnalyzer()),
    )
    loaded = with_spec(
        small_campaign(examples, budget=6, batch=1),
        retry=RetrySpec(max_attempts=2, out_of_service_after=3),
    )
    alerts: list[str] = []
    reporter = SilentReporter()
    reporter.alert = alerts.append  # type: ignore[method-assign]
    result = run_campaign(store, loaded, reporter, wait=False)
    assert not result.finished and "device hplc is out of service" in result.reason
    stored = experiments(store, "small")
    assert [(e.status, e.attempt, e.retry_of) for e in stored] == [
        ("failed", 1, None),
        ("failed", 2, 1),
        ("failed", 1, None),
        ("queued", 2, 3),  # the retry of #3 waits for the analyzer to come back
    ]
    assert all("lamp failure" in e.error for e in stored[:3])
    assert alerts and "dbtl lab service flow-sim hplc --on" in alerts[0]
    with store.session() as session:
        assert "hplc" in lease_repo.out_of_service(session, "flow-sim")
        kinds = [e.kind for e in repo.list_events(session, stored[0].campaign_id)]
    assert "device_out_of_service" in kinds
    retry_approval = [e for e in repo_events(store) if e.to_status == "approved"][1]
    assert retry_approval.payload == {"retry_of": 1, "attempt": 2}

    monkeypatch.undo()
    set_device_service(store, "flow-sim", "hplc", True, "tech@lab", "lamp replaced")
    assert run_campaign(store, loaded).finished
    assert sum(e.status == "completed" for e in experiments(store, "small")) == 3


def repo_events(store: Datastore):
    with store.session() as session:
        return repo.list_events(session, repo.get_campaign(session, "small").id)


def test_frontends_refuse_commands_beyond_limits() -> None:
    from drivers.errors import DeviceLimitError
    from drivers.heater import Heater, HeaterBackend
    from drivers.pump import Pump, PumpBackend
    from simulators.clock import SimulatedClock

    sent: list = []

    class Recorder(PumpBackend, HeaterBackend):
        def identify(self) -> DeviceIdentity:
            return DeviceIdentity("recorder")

        def set_flow_rate(self, flow_rate_ml_min: float, key: str) -> None:
            sent.append(flow_rate_ml_min)

        def flow_rate_ml_min(self) -> float:
            return 0.0

        def set_temperature(self, temperature_c: float, key: str) -> None:
            sent.append(temperature_c)

        def temperature_c(self) -> float:
            return 20.0

    with pytest.raises(DeviceLimitError, match="pump: flow rate 12 mL/min is outside"):
        Pump("pump", Recorder(), max_flow_rate_ml_min=10).set_flow_rate(12, key="k")
    with pytest.raises(DeviceLimitError, match="oven: setpoint 150 °C is outside"):
        Heater("oven", Recorder(), SimulatedClock(), 0, 140).set_temperature(150, key="k")
    assert sent == []
