"""The orchestrator is killed between an HPLC injection and its report: the report completes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from tests.conftest import ROOT
from tests.lab.emulated import running_emulated_lab
from tests.lab.helpers import assert_valid_histories

pytestmark = pytest.mark.slow


def dbtl_run(campaign: Path, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "run", str(campaign), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"},
    )


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_killed_after_injection_resumes_from_the_report_of_that_injection(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'run.db'}"
    with running_emulated_lab(tmp_path, budget=2, analysis_time_s=3000.0) as lab:
        text = lab.campaign_path.read_text().replace("batch_size: 2", "batch_size: 1")
        lab.campaign_path.write_text(text)
        hplc = lab.emulated.devices["hplc"].emulator
        process = dbtl_run(lab.campaign_path, url)
        try:
            wait_for(lambda: hplc.injections >= 1 or process.poll() is not None, 120, "injection")
            assert process.poll() is None, "the run ended before its first injection"
            process.send_signal(signal.SIGKILL)  # the report is ~5 s away
            process.wait()
        finally:
            if process.poll() is None:
                process.kill()
        injection = hplc.injection_ids[0]
        assert injection.startswith("snar-flow-emulated_1_")  # campaign/experiment/step
        assert not list(lab.reports.glob(f"*_inj-{injection}.csv"))  # killed before the report
        wait_for(lambda: bool(list(lab.reports.glob(f"*_inj-{injection}.csv"))), 60, "the report")
        final = dbtl_run(lab.campaign_path, url)
        _, err = final.communicate(timeout=300)
        assert final.returncode == 0, err
    store = Datastore(url)
    with store.session() as session:
        campaign = repo.get_campaign(session, "snar-flow-emulated")
        first, second = repo.list_experiments(session, campaign.id)
        values = repo.campaign_measurements(session, campaign.id)
        assert repo.has_event(session, first.id, "reconciled")
    assert first.status == "completed" and second.status == "completed"
    assert values[first.id]["sty_kg_m3_h"] > 0
    assert hplc.injections == 2  # the first sample was never injected again
    assert_valid_histories(store, "snar-flow-emulated")
    store.dispose()
