"""The emulated flow bench loses power mid-campaign: the outage is waited out, never charged."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from datastore import repository as repo
from datastore.models import Event, Experiment
from lab.running.campaigns import load_campaign
from lab.running.learn import budget_used
from lab.running.outages import OUTAGE_EXIT_CODE, DeviceOutageError
from lab.running.reporting import SilentReporter
from lab.running.runner import run_campaign, with_spec
from tests.lab.emulated import EmulatedFiles, running_emulated_lab
from tests.lab.helpers import assert_valid_histories
from tests.lab.test_cli import dbtl

pytestmark = pytest.mark.slow


class PowerCut(SilentReporter):
    """Cuts the power ``after_s`` into experiment ``number``; restores it ``down_s`` later."""

    def __init__(
        self, lab: EmulatedFiles, number: int, after_s: float, down_s: float | None
    ) -> None:
        self.lab = lab
        self.number = number
        self.after_s = after_s
        self.down_s = down_s
        self.thread: threading.Thread | None = None
        self.alerts: list[str] = []

    def experiment_started(self, experiment: Experiment) -> None:
        if experiment.number == self.number and self.thread is None:
            self.thread = threading.Thread(target=self._cut, daemon=True)
            self.thread.start()

    def alert(self, message: str) -> None:
        self.alerts.append(message)

    def _cut(self) -> None:
        time.sleep(self.after_s)
        self.lab.emulated.stop()
        if self.down_s is not None:
            time.sleep(self.down_s)
            self.lab.emulated.restart()


def experiments_and_events(store, name: str) -> tuple[list[Experiment], list[Event]]:
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        return repo.list_experiments(session, campaign.id), repo.list_events(session, campaign.id)


def pauses(events: list[Event]) -> list[str]:
    return [
        str(e.payload.get("reason"))
        for e in events
        if e.kind == "campaign_status" and e.payload.get("to") == "paused"
    ]


def test_bench_back_within_the_timeout_finishes_the_full_budget(tmp_path: Path, store) -> None:
    with running_emulated_lab(tmp_path, budget=4, outage_timeout_s=60.0) as lab:
        loaded = with_spec(load_campaign(lab.campaign_path), batch_size=1)
        cut = PowerCut(lab, number=2, after_s=0.3, down_s=3.0)
        started = time.monotonic()
        result = run_campaign(store, loaded, cut)
    assert time.monotonic() - started < 90
    assert result.finished
    experiments, events = experiments_and_events(store, loaded.spec.name)
    statuses = Counter(e.status for e in experiments)
    assert statuses["completed"] == 4, statuses
    assert statuses["failed"] == 0
    assert set(statuses) <= {"completed", "needs_attention"}
    for flagged in (e for e in experiments if e.status == "needs_attention"):
        assert flagged.error is not None and "stopped answering" in flagged.error
        assert "sent before it:" in flagged.error
    reasons = pauses(events)
    assert reasons and all(r.startswith("device outage:") for r in reasons)
    assert any("pump_" in r or "reactor_heater" in r or "sample_valve" in r for r in reasons)
    assert any("outage over" in a for a in cut.alerts)
    with store.session() as session:
        campaign = repo.get_campaign(session, loaded.spec.name)
        assert campaign.status == "completed"
        assert budget_used(session, campaign.id) == 4
    assert_valid_histories(store, loaded.spec.name)


def test_bench_down_past_the_timeout_exits_naming_the_device_then_the_next_run_finishes(
    tmp_path: Path, store, monkeypatch, capsys
) -> None:
    with running_emulated_lab(tmp_path, budget=3, outage_timeout_s=2.0) as lab:
        text = lab.campaign_path.read_text().replace("batch_size: 2", "batch_size: 1")
        lab.campaign_path.write_text(text)
        loaded = load_campaign(lab.campaign_path)
        cut = PowerCut(lab, number=2, after_s=0.3, down_s=None)
        with pytest.raises(DeviceOutageError, match=r"did not answer for 2 s"):
            run_campaign(store, loaded, cut)
        assert cut.thread is not None
        cut.thread.join()
        url = store.url
        code, out = dbtl(monkeypatch, capsys, "show", loaded.spec.name, "--db", url)
        assert code == 0 and "paused: device outage:" in out, out
        # still down: the CLI waits the timeout out again, then exits with its code
        code, out = dbtl(monkeypatch, capsys, "run", str(lab.campaign_path), "--db", url)
        assert code == OUTAGE_EXIT_CODE, out
        assert "device outage:" in out and "did not answer for 2 s" in out
        lab.emulated.restart()
        code, out = dbtl(monkeypatch, capsys, "run", str(lab.campaign_path), "--db", url)
        assert code == 0, out
    experiments, _ = experiments_and_events(store, loaded.spec.name)
    statuses = Counter(e.status for e in experiments)
    assert statuses["completed"] == 3, statuses
    assert statuses["failed"] == 0
    assert set(statuses) <= {"completed", "needs_attention"}
    assert_valid_histories(store, loaded.spec.name)
