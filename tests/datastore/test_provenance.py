"""Every link of `dbtl provenance` checked against the stored rows of the Suzuki HTE demo."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from datastore import repository as repo
from datastore.models import Event, Measurement
from datastore.provenance import training_set_digest
from datastore.provenance_models import PlanRecord
from datastore.provenance_read import experiment_provenance
from drivers.base import Device
from drivers.clock import SystemClock
from lab.cli.main import app
from lab.devices.assembly import build_devices
from protocols.protocol import Protocol
from tests.datastore.conftest import CHEMIST, SuzukiRun

pytestmark = pytest.mark.slow


def _chain(run: SuzukiRun, experiment_id: int) -> dict:
    with run.store.session() as session:
        return experiment_provenance(session, experiment_id)


def _events(run: SuzukiRun, experiment_id: int) -> list[Event]:
    with run.store.session() as session:
        return list(session.exec(select(Event).where(Event.experiment_id == experiment_id)))


def test_plan_link_matches_the_stored_plan_and_its_training_set(suzuki_run: SuzukiRun) -> None:
    with suzuki_run.store.session() as session:
        plans = list(session.exec(select(PlanRecord).order_by(PlanRecord.cycle)))
        assert [p.cycle for p in plans] == list(range(1, len(plans) + 1))
        for plan in plans:  # each training set rebuilds, with the same hash, from stored rows
            ids, digest = training_set_digest(session, plan.campaign_id, plan.training_event_id)
            assert (len(ids), digest) == (plan.training_size, plan.training_sha256)
    assert plans[0].training_size == 0 and plans[1].training_size == 4  # 3 run + 1 rejected
    chain = _chain(suzuki_run, suzuki_run.edited)
    plan = chain["plan"]
    assert (plan["strategy"], plan["seed"], plan["options"]) == ("sobol", 3, {})
    assert plan["training_sha256"] == plans[0].training_sha256
    assert plan["software"]["dbtl"] and plan["software"]["botorch"]
    assert plan["model_report"]["strategy"] == "sobol"


def test_proposal_and_decisions_match_the_events(suzuki_run: SuzukiRun) -> None:
    chain = _chain(suzuki_run, suzuki_run.edited)
    events = _events(suzuki_run, suzuki_run.edited)
    proposed = next(e for e in events if e.to_status == "proposed")
    edited = next(e for e in events if e.kind == "edited")
    assert chain["proposal"]["parameters"] == proposed.payload["parameters"]
    with suzuki_run.store.session() as session:
        experiment = repo.get_experiment(session, suzuki_run.edited)
    assert chain["proposal"]["predicted"] == experiment.predicted
    edit = next(d for d in chain["decisions"] if d["decision"] == "edited")
    assert (edit["before"], edit["after"]) == (edited.payload["before"], edited.payload["after"])
    assert edit["after"]["ligand"] == "XPhos" != edit["before"]["ligand"]
    assert (edit["account"], edit["comment"]) == (CHEMIST, "XPhos is in stock")
    approved = next(d for d in chain["decisions"] if d["decision"] == "approved")
    assert approved["account"] == CHEMIST and approved["comment"] == "XPhos is in stock"
    assert chain["experiment"]["parameters"] == edit["after"]  # it ran as edited
    rejected = _chain(suzuki_run, suzuki_run.rejected)
    refusal = next(d for d in rejected["decisions"] if d["decision"] == "rejected")
    assert refusal["account"] == CHEMIST and refusal["comment"] == "triflate stock not made yet"
    assert rejected["runs"] == [] and rejected["trained_on_by"][0] == 2


def test_protocol_link_hashes_to_the_running_events_sha256(suzuki_run: SuzukiRun) -> None:
    chain = _chain(suzuki_run, suzuki_run.edited)
    running = next(e for e in _events(suzuki_run, suzuki_run.edited) if e.to_status == "running")
    (run,) = chain["runs"]
    assert run["protocol"]["sha256"] == running.payload["protocol_sha256"]
    assert (run["run_key"], run["well"]) == (running.payload["plate"], running.payload["well"])
    with suzuki_run.store.session() as session:
        from datastore.provenance_models import ProtocolRecord

        record = session.get(ProtocolRecord, run["protocol"]["sha256"])
        assert record is not None
        rebuilt = Protocol.model_validate(
            {"name": record.name, "steps": record.steps, "metadata": record.protocol_metadata}
        )
        assert rebuilt.digest() == record.sha256
        assert (
            record.compiled
            and hashlib.sha256(record.compiled.encode()).hexdigest()
            == (run["protocol"]["compiled_sha256"])
        )
    well_steps = run["steps_of_well"]
    assert well_steps and all(
        s["kind"] == "read_plate" or s["destination"]["well"] == run["well"] for s in well_steps
    )


def test_device_commands_carry_keys_and_the_devices_identities(suzuki_run: SuzukiRun) -> None:
    (run,) = _chain(suzuki_run, suzuki_run.edited)["runs"]
    commands = {c["device"]: c for c in run["device_commands"]}
    assert commands["ot2"]["idempotency_key"] == f"{run['run_key']}/ot2"
    assert commands["reader"]["idempotency_key"] == f"{run['run_key']}/reader"
    devices = build_devices(suzuki_run.loaded.lab, SystemClock())  # type: ignore[attr-defined]
    for name, command in commands.items():
        identity = devices.get(name, Device).identify()
        assert (command["device_model"], command["device_firmware"]) == (
            identity.model,
            identity.firmware,
        )
    assert commands["ot2"]["device_model"] and commands["ot2"]["device_firmware"]


def test_instrument_record_and_outcomes_match_the_measurements(suzuki_run: SuzukiRun) -> None:
    chain = _chain(suzuki_run, suzuki_run.edited)
    (run,) = chain["runs"]
    (export,) = run["instrument_records"]
    from datastore.provenance_models import InstrumentRecord

    with suzuki_run.store.session() as session:
        stored = session.exec(
            select(InstrumentRecord).where(InstrumentRecord.run_key == run["run_key"])
        ).one()
        measured = {
            m.name: m.value
            for m in session.exec(
                select(Measurement).where(Measurement.experiment_id == suzuki_run.edited)
            )
        }
    assert stored.content is not None
    assert hashlib.sha256(stored.content.encode()).hexdigest() == export["sha256"]
    rows = list(csv.DictReader(io.StringIO(stored.content)))
    read = {r["quantity"]: float(r["value"]) for r in rows if r["well"] == run["well"]}
    assert read["yield_pct"] == pytest.approx(measured["yield_pct"])
    outcome = {m["name"]: m["value"] for m in chain["outcomes"]["measurements"]}
    assert outcome == measured and chain["outcomes"]["status"] == "completed"


def test_later_cycles_that_trained_on_it(suzuki_run: SuzukiRun) -> None:
    first = _chain(suzuki_run, suzuki_run.edited)
    with suzuki_run.store.session() as session:
        plans = list(session.exec(select(PlanRecord).order_by(PlanRecord.cycle)))
        holding = [
            p.cycle
            for p in plans
            if suzuki_run.edited
            in training_set_digest(session, p.campaign_id, p.training_event_id)[0]
        ]
    assert first["trained_on_by"] == holding and holding[0] == 2
    last_cycle = plans[-1].cycle
    with suzuki_run.store.session() as session:
        newest = repo.list_experiments(session, plans[-1].campaign_id)[-1]
    assert newest.cycle == last_cycle
    assert _chain(suzuki_run, newest.id or 0)["trained_on_by"] == []


def test_cli_prints_the_chain_as_json_and_as_tables(suzuki_run: SuzukiRun) -> None:
    url = str(suzuki_run.store.url)
    result = CliRunner().invoke(app, ["provenance", str(suzuki_run.edited), "--db", url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == json.loads(
        json.dumps(_chain(suzuki_run, suzuki_run.edited), default=str)
    )
    shown = CliRunner().invoke(app, ["provenance", str(suzuki_run.edited), "--db", url])
    assert shown.exit_code == 0, shown.output
    for text in ("Decisions", "XPhos", "Device commands", "trained on by", CHEMIST):
        assert text in shown.output
