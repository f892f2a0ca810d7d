"""Instrument records settled by reconcile are captured as the run path captures them.

A crash between the HPLC writing its report and dbtl storing it: the next
reconcile completes the experiment from the report and keeps the report (file
name, SHA-256, size), so ``dbtl provenance`` shows it. A report that appears
only after the experiment was flagged ``needs_attention`` settles it (and is
kept) at the next reconcile. A re-read plate keeps its reader's export.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Experiment
from datastore.states import ExperimentStatus as S
from drivers.analyzer import Analyzer
from drivers.hplc_files import ResultFolderBackend, injection_id
from lab.cli.main import app
from lab.devices.assembly import build_devices
from lab.devices.registry import DeviceSet
from lab.running.campaigns import LoadedCampaign, open_campaign
from lab.running.provenance_capture import record_single_run
from lab.running.reconcile import INTERRUPTED, LATE_REPORT, reconcile_running
from protocols.steps import Measure
from simulators.clock import SimulatedClock
from tests.lab.helpers import assert_valid_histories, small_campaign

DESIGN = {
    "residence_time_min": 1.0,
    "equivalents": 2.0,
    "concentration_mol_l": 0.2,
    "temperature_c": 60.0,
}
FACTORS = {"dfnb": 1e-6, "pyrrolidine": 1e-6, "ortho": 2e-6, "para": 2e-6, "bis": 2e-6}
REPORT = "peak,retention_time_min,area\ndfnb,3.21,100000\northo,5.42,50000\n"


def _devices(loaded: LoadedCampaign, folder: Path) -> DeviceSet:
    """A fresh process's devices: the lab's simulators, with the HPLC read from its folder."""
    devices = build_devices(loaded.lab, SimulatedClock())
    hplc = ResultFolderBackend("hplc", folder, FACTORS, SimulatedClock(), timeout_s=1.0)
    return DeviceSet({**devices.devices, "hplc": Analyzer("hplc", hplc)})


def _left_running(store: Datastore, loaded: LoadedCampaign, folder: Path) -> tuple[int, Path]:
    """One experiment moved to running with its run recorded, as the loop does; the crash."""
    campaign, _ = open_campaign(store, loaded, "tester")
    with store.session() as session:
        (experiment,) = repo.add_proposals(
            session, campaign, 1, [repo.NewExperiment(DESIGN)],
            repo.NewSnapshot("random", 0, 0.0), actor="tester",
        )  # fmt: skip
    for target in (S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED):
        with store.session() as session:
            repo.transition(session, experiment.id or 0, target, actor="tester")
    protocol = loaded.builder.build(DESIGN, name=f"{loaded.spec.name}#{experiment.number}")
    run_key = f"{loaded.spec.name}/{experiment.number}"
    with store.session() as session:
        repo.transition(session, experiment.id or 0, S.RUNNING, actor="tester")
        record_single_run(
            session, campaign.id or 0, experiment.id or 0, protocol, run_key,
            _devices(loaded, folder),
        )  # fmt: skip
    (step,) = [n for n, s in enumerate(protocol.steps, start=1) if isinstance(s, Measure)]
    return experiment.id or 0, folder / f"ASSAY_inj-{injection_id(f'{run_key}/{step}')}.csv"


def _provenance(store: Datastore, experiment_id: int) -> dict:
    result = CliRunner().invoke(
        app, ["provenance", str(experiment_id), "--json", "--db", str(store.url)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _records(chain: dict) -> list[dict]:
    return [record for run in chain["runs"] for record in run["instrument_records"]]


def _setup(store: Datastore, examples: Path, tmp_path: Path) -> tuple[LoadedCampaign, int, Path]:
    folder = tmp_path / "hplc"
    folder.mkdir()
    loaded = small_campaign(examples, budget=1, batch=1)
    experiment_id, report = _left_running(store, loaded, folder)
    return loaded, experiment_id, report


def test_a_report_written_before_the_crash_is_captured_by_reconcile(
    store: Datastore, examples: Path, tmp_path: Path
) -> None:
    loaded, experiment_id, report = _setup(store, examples, tmp_path)
    report.write_text(REPORT)  # the data system wrote it; dbtl died before storing it
    campaign_id = _campaign_id(store, experiment_id)
    outcome = reconcile_running(store, loaded, campaign_id, _devices(loaded, report.parent), "t")
    assert outcome.completed == [1] and outcome.flagged == []
    (record,) = _records(_provenance(store, experiment_id))
    assert record["file_name"] == report.name and record["device"] == "hplc"
    assert record["sha256"] == hashlib.sha256(REPORT.encode()).hexdigest()
    assert record["size_bytes"] == len(REPORT.encode()) and record["kind"] == "analysis_report"
    assert_valid_histories(store, loaded.spec.name)


def test_a_report_that_appears_after_the_flag_settles_and_is_captured(
    store: Datastore, examples: Path, tmp_path: Path
) -> None:
    loaded, experiment_id, report = _setup(store, examples, tmp_path)
    campaign_id = _campaign_id(store, experiment_id)
    devices = _devices(loaded, report.parent)
    outcome = reconcile_running(store, loaded, campaign_id, devices, "t")
    assert outcome.flagged == [1] and outcome.completed == []
    assert _experiment(store, experiment_id).error == INTERRUPTED
    assert _records(_provenance(store, experiment_id)) == []
    assert reconcile_running(store, loaded, campaign_id, devices, "t").completed == []
    report.write_text(REPORT)  # the report turns up later
    outcome = reconcile_running(store, loaded, campaign_id, _devices(loaded, report.parent), "t")
    assert outcome.completed == [1]
    settled = _experiment(store, experiment_id)
    assert settled.status == "completed"
    chain = _provenance(store, experiment_id)
    (record,) = _records(chain)
    assert record["file_name"] == report.name
    assert record["sha256"] == hashlib.sha256(REPORT.encode()).hexdigest()
    with store.session() as session:
        events = repo.list_events(session, campaign_id)
        values = repo.campaign_measurements(session, campaign_id)[experiment_id]
    reconciled = [e for e in events if e.kind == "reconciled"]
    assert [e.payload["source"] for e in reconciled] == [LATE_REPORT]
    assert values["dfnb_mol_l"] == pytest.approx(0.1)  # 100000 area × 1e-6 mol/L per area
    # settled once: a later reconcile captures nothing twice
    assert reconcile_running(store, loaded, campaign_id, devices, "t").completed == []
    assert len(_records(_provenance(store, experiment_id))) == 1
    assert_valid_histories(store, loaded.spec.name)


def test_an_experiment_flagged_for_another_reason_is_left_to_a_person(
    store: Datastore, examples: Path, tmp_path: Path
) -> None:
    loaded, experiment_id, report = _setup(store, examples, tmp_path)
    campaign_id = _campaign_id(store, experiment_id)
    with store.session() as session:
        repo.transition(
            session, experiment_id, S.NEEDS_ATTENTION, actor="t", error="device hplc went silent"
        )
    report.write_text(REPORT)
    outcome = reconcile_running(store, loaded, campaign_id, _devices(loaded, report.parent), "t")
    assert outcome.completed == [] and _experiment(store, experiment_id).status == "needs_attention"


def _experiment(store: Datastore, experiment_id: int) -> Experiment:
    with store.session() as session:
        return repo.get_experiment(session, experiment_id)


def _campaign_id(store: Datastore, experiment_id: int) -> int:
    return _experiment(store, experiment_id).campaign_id


def test_a_re_read_plate_keeps_the_readers_export(
    store: Datastore, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlmodel import select

    from datastore.provenance_models import InstrumentRecord
    from lab.devices.assembly import connected
    from lab.running.plate_runner import run_plate
    from tests.lab.helpers import suzuki_campaign
    from tests.lab.test_plate_loop import plate_left_running, spy_robot

    spy_robot(monkeypatch)
    loaded = suzuki_campaign(examples, budget=4, noise_sd=2.0)
    campaign, plan, key = plate_left_running(store, loaded)
    with connected(build_devices(loaded.lab, SimulatedClock())) as devices:
        run_plate(plan.protocol, loaded.lab, devices, key)  # then "the crash"
        assert reconcile_running(store, loaded, campaign.id, devices, "t").completed == [1, 2, 3, 4]
    with store.session() as session:
        (record,) = session.exec(select(InstrumentRecord).where(InstrumentRecord.run_key == key))
        values = repo.campaign_measurements(session, campaign.id)
        numbers = {e.id: e.number for e in repo.list_experiments(session, campaign.id)}
    assert record.kind == "plate_reader_export" and record.file_name.endswith(".csv")
    assert record.sha256 == hashlib.sha256((record.content or "").encode()).hexdigest()
    rows = [line.split(",") for line in (record.content or "").splitlines()[1:]]
    exported = {well: float(value) for well, quantity, value in rows if quantity == "yield_pct"}
    for experiment_id, measured in values.items():
        well = plan.well_map[numbers[experiment_id]]
        assert exported[well] == pytest.approx(measured["yield_pct"])
