"""HTE plates in the campaign loop: one plate per batch, failures, crash recovery, approvals."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import leases as lease_repo
from datastore import repository as repo
from datastore.states import ExperimentStatus as S
from drivers.errors import DeviceError
from drivers.liquid_handler import LiquidHandler, RobotProgram, RunReport
from lab.devices import assembly as lab_devices
from lab.devices.assembly import build_devices, connected
from lab.review.decisions import Reviewer
from lab.running.campaigns import LoadedCampaign, load_campaign, open_campaign
from lab.running.orchestrator import Orchestrator
from lab.running.plate_runner import plate_designs, plate_key, plate_name, run_plate
from lab.running.reconcile import RECALL_POLL_S, reconcile_running
from lab.running.reporting import SilentReporter
from lab.running.runner import run_campaign, with_spec
from lab.specs.campaign import ApprovalSpec, RetrySpec, StrategySpec
from lab.specs.yamlio import SpecError
from simulators.clock import SimulatedClock
from simulators.opentrons_sim import OpentronsSimulateBackend
from tests.lab.helpers import assert_valid_histories, run_cli, suzuki_campaign, suzuki_truth


def spy_robot(monkeypatch, fail_first: int = 0) -> list[str]:
    """Record the key of every simulated robot run; fail the first ``fail_first`` runs."""
    keys: list[str] = []
    original = OpentronsSimulateBackend.run

    def run(self, program: RobotProgram, key: str, timeout_s: float) -> RunReport:
        keys.append(key)
        if len(keys) <= fail_first:  # remembered by key, as the simulator does
            errors = ("pipette overpressure detected",)
            self.runs[key] = RunReport(f"sim-{len(keys)}", "failed", (), errors)
            return self.runs[key]
        return original(self, program, key, timeout_s)

    monkeypatch.setattr(OpentronsSimulateBackend, "run", run)
    return keys


def stored(store: Datastore, name: str = "suzuki"):
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        experiments = repo.list_experiments(session, campaign.id)
        values = repo.campaign_measurements(session, campaign.id)
        events = repo.list_events(session, campaign.id)
    running = {
        e.experiment_id: e.payload for e in events if e.to_status == "running"
    }  # experiment id → payload of its running event
    return experiments, values, running, events


# ------------------------------------------------------------------- running


def test_an_hte_campaign_runs_to_budget_a_plate_at_a_time(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    robot = spy_robot(monkeypatch)
    loaded = suzuki_campaign(examples, budget=8, batch=4)
    result = run_campaign(store, loaded)
    assert result.finished and result.experiments_run == 8 and result.cycles_planned == 2
    assert robot == ["suzuki/plate-1/ot2", "suzuki/plate-5/ot2"]  # one robot run per plate
    experiments, values, running, _ = stored(store)
    assert [e.status for e in experiments] == ["completed"] * 8
    plates: dict[str, list[str]] = {}
    for experiment in experiments:
        payload = running[experiment.id]
        assert payload["approved_by"] == "policy:auto" and len(payload["protocol_sha256"]) == 64
        assert re.fullmatch(r"[A-H]\d{1,2}", payload["well"])
        plates.setdefault(payload["plate"], []).append(payload["well"])
        # the yield read from the well is the table's for what the design dispensed
        measured = values[experiment.id]
        assert measured["yield_pct"] == pytest.approx(suzuki_truth(loaded, experiment.parameters))
        assert measured["volume_ul"] == pytest.approx(150.0)
    assert sorted(plates) == ["suzuki/plate-1", "suzuki/plate-5"]
    assert all(len(set(wells)) == 4 for wells in plates.values())
    assert_valid_histories(store, "suzuki")


def test_a_failed_robot_run_fails_the_plate_and_the_retry_runs_the_same_designs(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    robot = spy_robot(monkeypatch, fail_first=1)
    # two failures in a row take the robot out of service: a plate's failure counts once
    retry = RetrySpec(max_attempts=2, out_of_service_after=2)
    loaded = with_spec(suzuki_campaign(examples, budget=8, batch=4), retry=retry)
    result = run_campaign(store, loaded, wait=False)
    assert result.finished, result.reason
    assert robot == ["suzuki/plate-1/ot2", "suzuki/plate-5/ot2"]
    experiments, _, _, events = stored(store)
    first, retries = experiments[:4], experiments[4:]
    assert [e.status for e in first] == ["failed"] * 4
    assert all("pipette overpressure detected" in (e.error or "") for e in first)
    assert [(e.retry_of, e.attempt, e.status) for e in retries] == [
        (n, 2, "completed") for n in (1, 2, 3, 4)
    ]
    assert [e.parameters for e in retries] == [e.parameters for e in first]
    failures = [e for e in events if e.to_status == "failed"]
    assert len(failures) == 4 and all(e.payload["plate"] == "suzuki/plate-1" for e in failures)
    with store.session() as session:
        state = lease_repo.device_state(session, "ot2-suzuki", "ot2")
        assert state.in_service and "pipette overpressure" in (state.note or "")
    assert_valid_histories(store, "suzuki")


def test_a_well_without_a_reading_fails_only_its_experiment(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    lab = examples / "labs" / "ot2_suzuki.yaml"
    wrong = 'smiles: "[K+].[OH-]"'  # the tube labelled KOH holds potassium chloride
    assert wrong in lab.read_text()
    lab.write_text(lab.read_text().replace(wrong, 'smiles: "[K+].[Cl-]"'))
    loaded = suzuki_campaign(examples, budget=8, batch=8, seed=5)
    run_campaign(store, loaded)
    experiments, values, running, _ = stored(store)
    with_koh = [e for e in experiments if e.parameters["base"] == "KOH"]
    assert with_koh, "the seed should give at least one KOH design"
    for experiment in experiments:
        if experiment.parameters["base"] == "KOH":
            well = running[experiment.id]["well"]
            assert experiment.status == "failed"
            assert f"well {well}: no reading of yield_pct" in (experiment.error or "")
            assert "KOH_mol_l" in (experiment.error or "")
        else:
            assert experiment.status == "completed" and "yield_pct" in values[experiment.id]
    assert_valid_histories(store, "suzuki")


# ------------------------------------------------------------------- recovery


def plate_left_running(store: Datastore, loaded: LoadedCampaign, digest: str | None = None):
    """Four experiments moved to ``running`` on one plate, as the loop does, then 'a crash'."""
    campaign, _ = open_campaign(store, loaded, "tester")
    designs = [
        {"electrophile": e, "nucleophile": "boronic_acid", "ligand": lig, "base": b, "solvent": s}
        for e, lig, b, s in [
            ("iodoquinoline", "XPhos", "K3PO4", "THF"),
            ("bromoquinoline", "SPhos", "CsF", "MeOH"),
            ("chloroquinoline", "P_tBu3", "NaOH", "DMF"),
            ("quinolinyl_triflate", "dppf", "Et3N", "MeCN"),
        ]
    ]
    with store.session() as session:
        experiments = repo.add_proposals(
            session,
            campaign,
            1,
            [repo.NewExperiment(d) for d in designs],
            repo.NewSnapshot("sobol", 0, 0.0),
            actor="tester",
        )
    plan = loaded.builder.build_plate(  # type: ignore[attr-defined]
        plate_designs(experiments), plate_name(loaded.spec.name, 1)
    )
    key = plate_key(loaded.spec.name, 1)
    for e in experiments:
        for target, actor in ((S.AWAITING_APPROVAL, "t"), (S.APPROVED, "policy:auto")):
            with store.session() as session:
                repo.transition(session, e.id, target, actor=actor)
    with store.session() as session:
        for e in experiments:
            repo.transition(session, e.id, S.QUEUED, actor="tester")
            payload = {
                "protocol_sha256": digest or plan.protocol.digest(),
                "plate": key,
                "well": plan.well_map[e.number],
                "approved_by": "policy:auto",
            }
            repo.transition(session, e.id, S.RUNNING, actor="tester", payload=payload)
    return campaign, plan, key


def test_a_plate_the_robot_finished_is_completed_from_its_record_and_a_new_read(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    robot = spy_robot(monkeypatch)
    loaded = suzuki_campaign(examples, budget=4, noise_sd=2.0)
    campaign, plan, key = plate_left_running(store, loaded)
    with connected(build_devices(loaded.lab, SimulatedClock())) as devices:
        first_read = run_plate(plan.protocol, loaded.lab, devices, key)  # then "the crash"
        outcome = reconcile_running(store, loaded, campaign.id, devices, "tester")
    assert outcome.completed == [1, 2, 3, 4] and outcome.flagged == []
    assert robot == [f"{key}/ot2"]  # pipetted once, read twice
    experiments, values, _, events = stored(store)
    assert [e.status for e in experiments] == ["completed"] * 4
    for experiment in experiments:
        well = plan.well_map[experiment.number]
        # the same read key gives the same noisy reading as the read the crash interrupted
        assert values[experiment.id]["yield_pct"] == first_read[well]["yield_pct"]
        truth = suzuki_truth(loaded, experiment.parameters)
        assert abs(values[experiment.id]["yield_pct"] - truth) < 6 * 2.0 + 1e-9
    assert sum(e.kind == "reconciled" for e in events) == 4
    assert run_campaign(store, loaded).finished  # nothing left to run: budget used
    assert robot == [f"{key}/ot2"]
    assert_valid_histories(store, "suzuki")


def test_a_plate_the_robot_does_not_remember_is_flagged_and_never_pipetted_again(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    robot = spy_robot(monkeypatch)
    loaded = suzuki_campaign(examples, budget=8)
    campaign, _, key = plate_left_running(store, loaded)
    devices = build_devices(loaded.lab, SimulatedClock())  # a new process: the robot forgot
    outcome = reconcile_running(store, loaded, campaign.id, devices, "tester")
    assert outcome.flagged == [1, 2, 3, 4] and outcome.completed == []
    experiments, _, _, _ = stored(store)
    for experiment in experiments:
        assert experiment.status == "needs_attention"
        assert f"plate {key}" in experiment.error and "not re-run" in experiment.error
        assert f"ot2 has no record of run {key}/ot2" in experiment.error
    result = run_campaign(store, loaded)
    assert result.finished
    # the next plates (the flagged one costs no budget); plate 1 never again
    assert robot == ["suzuki/plate-5/ot2", "suzuki/plate-9/ot2"]
    experiments, _, _, _ = stored(store)
    assert [e.status for e in experiments] == ["needs_attention"] * 4 + ["completed"] * 8
    assert_valid_histories(store, "suzuki")


def test_a_plate_whose_robot_run_failed_or_cannot_be_rebuilt_is_flagged(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    spy_robot(monkeypatch, fail_first=1)
    loaded = suzuki_campaign(examples, budget=4)
    campaign, plan, key = plate_left_running(store, loaded)
    with connected(build_devices(loaded.lab, SimulatedClock())) as devices:
        with pytest.raises(DeviceError, match="pipette overpressure"):
            run_plate(plan.protocol, loaded.lab, devices, key)
        # the frontend keeps no failed run; ask the backend the way a new process would
        outcome = reconcile_running(store, loaded, campaign.id, devices, "tester")
    assert outcome.flagged == [1, 2, 3, 4]
    experiments, _, _, _ = stored(store)
    assert all("failed: pipette overpressure detected" in e.error for e in experiments)

    other = Datastore(f"sqlite:///{examples.parent / 'other.db'}")
    campaign, _, _ = plate_left_running(other, loaded, digest="0" * 64)
    outcome = reconcile_running(
        other, loaded, campaign.id, build_devices(loaded.lab, SimulatedClock()), "t"
    )
    assert outcome.flagged == [1, 2, 3, 4]
    experiments, _, _, _ = stored(other)
    assert all("differs from the protocol that ran" in e.error for e in experiments)
    other.dispose()


@pytest.mark.parametrize(
    ("statuses", "settled"),
    [
        (["running", "running", "running", "succeeded"], "completed"),
        (["idle"], "idle, unfinished"),  # created, never started: not waited for
        (["paused"], "paused, unfinished"),  # waits for a person: not waited for
    ],
)
def test_recovery_waits_only_for_a_run_the_robot_is_still_executing(
    store: Datastore, examples: Path, monkeypatch, statuses: list[str], settled: str
) -> None:
    robot = spy_robot(monkeypatch)
    loaded = suzuki_campaign(examples, budget=4)
    campaign, plan, key = plate_left_running(store, loaded)
    clock = SimulatedClock()
    with connected(build_devices(loaded.lab, clock)) as devices:
        run_plate(plan.protocol, loaded.lab, devices, key)
        handler = devices.get("ot2", LiquidHandler)
        handler.finished.clear()  # this process knows the run only from the robot
        done = handler.handler_backend.recall(f"{key}/ot2")
        assert done is not None and done.succeeded
        asks: list[float] = []

        def recall(self, run_key: str) -> RunReport:
            asks.append(clock.now_s())
            status = statuses[min(len(asks), len(statuses)) - 1]
            return done if status == "succeeded" else dataclasses.replace(done, status=status)

        monkeypatch.setattr(OpentronsSimulateBackend, "recall", recall)
        outcome = reconcile_running(store, loaded, campaign.id, devices, "tester", clock)
    assert robot == [f"{key}/ot2"]
    assert asks == [RECALL_POLL_S * i for i in range(len(statuses))]
    experiments, _, _, _ = stored(store)
    if settled == "completed":
        assert outcome.completed == [1, 2, 3, 4]
        assert [e.status for e in experiments] == ["completed"] * 4
    else:
        assert outcome.flagged == [1, 2, 3, 4]
        assert all(f"holds run {key}/ot2 {settled}" in e.error for e in experiments)


def test_an_orchestrator_serves_two_plate_campaigns_sharing_the_robot(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    robot = spy_robot(monkeypatch)
    first = suzuki_campaign(examples, name="first", budget=4, batch=2)
    strategy = StrategySpec(name="sobol", seed=11)  # other designs, so crossed plates show
    second = with_spec(first, name="second", priority=5, strategy=strategy)
    for loaded in (first, second):
        open_campaign(store, loaded, "ops@lab")
    orchestrator = Orchestrator(store, first.lab, "orch@h:1", lambda _: SilentReporter(), 0.05)
    outcomes = orchestrator.serve(until_idle=True)
    assert outcomes == {"first": "finished: budget reached", "second": "finished: budget reached"}
    assert sorted(robot) == sorted(
        f"{name}/plate-{n}/ot2" for name in ("first", "second") for n in (1, 3)
    )
    designs = [[e.parameters for e in stored(store, name)[0]] for name in ("first", "second")]
    assert designs[0] != designs[1]
    for name, loaded in (("first", first), ("second", second)):
        experiments, values, _, _ = stored(store, name)
        assert [e.status for e in experiments] == ["completed"] * 4
        for experiment in experiments:  # each plate read while its campaign held the robot
            truth = suzuki_truth(loaded, experiment.parameters)
            assert values[experiment.id]["yield_pct"] == pytest.approx(truth)
        assert_valid_histories(store, name)


# ------------------------------------------------------------------- approvals


def test_only_experiments_a_person_approved_go_on_the_chemists_plate(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    robot = spy_robot(monkeypatch)
    worlds: list = []
    original = lab_devices.BuildContext.plates

    def spy(self):
        world = original(self)
        if world not in worlds:
            worlds.append(world)
        return world

    monkeypatch.setattr(lab_devices.BuildContext, "plates", spy)
    loaded = with_spec(suzuki_campaign(examples, budget=4), approval=ApprovalSpec(policy="chemist"))
    result = run_campaign(store, loaded, wait=False)
    assert "await approval" in result.reason and robot == []
    reviewer = Reviewer(store, "ana@lab")
    ids = {v.experiment.number: v.experiment.id for v in reviewer.pending("suzuki")}
    reviewer.approve([ids[1], ids[2]])
    reviewer.reject([ids[3]], "no triflates this week")
    result = run_campaign(store, loaded, wait=False)
    assert "waits for decisions on 1 more (#4)" in result.reason and robot == []
    with store.session() as session:  # a forged approval: by a policy, under the chemist gate
        repo.transition(session, ids[4], S.APPROVED, actor="policy:auto")
    run_campaign(store, loaded, wait=False)
    assert robot == ["suzuki/plate-1/ot2"]
    experiments, _, running, _ = stored(store)
    status = {e.number: e.status for e in experiments}
    assert (status[1], status[2], status[3], status[4]) == (
        "completed",
        "completed",
        "rejected",
        "abandoned",
    )
    assert "no approval record" in experiments[3].error
    on_plate = {e.number: running[e.id] for e in experiments if e.id in running}
    assert sorted(on_plate) == [1, 2]
    assert {p["approved_by"] for p in on_plate.values()} == {"ana@lab"}
    filled = {well for (labware, well), s in worlds[-1].wells.items() if labware == "plate"}
    assert filled == {p["well"] for p in on_plate.values()}  # the robot pipetted two wells


def test_an_approval_landing_while_the_loop_steps_joins_the_plate(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    """The last decision lands right after the loop queued the others: one full plate runs.

    Before the fix the loop ran a plate of the two queued experiments, and the
    third, approved a moment later, on a plate of its own.
    """
    from lab.running.loop import CampaignLoop

    robot = spy_robot(monkeypatch)
    loaded = with_spec(suzuki_campaign(examples, budget=3), approval=ApprovalSpec(policy="chemist"))
    run_campaign(store, loaded, wait=False)
    reviewer = Reviewer(store, "ana@lab")
    ids = {v.experiment.number: v.experiment.id for v in reviewer.pending("suzuki")}
    reviewer.approve([ids[1], ids[2]])
    judge = CampaignLoop._judge_proposals
    landed: list = []

    def judge_then_a_person_approves(self: CampaignLoop) -> None:
        judge(self)
        if not landed:
            landed.extend(reviewer.approve([ids[3]]))

    monkeypatch.setattr(CampaignLoop, "_judge_proposals", judge_then_a_person_approves)
    result = run_campaign(store, loaded, wait=False)
    assert len(landed) == 1 and result.finished
    assert robot == ["suzuki/plate-1/ot2"]
    experiments, _, running, _ = stored(store)
    assert [e.status for e in experiments] == ["completed"] * 3
    assert {running[e.id]["plate"] for e in experiments} == {"suzuki/plate-1"}


# ------------------------------------------------------------------- bad input


FITS = "experiments does not fit one plate: the plate has"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("batch_size: 24", "batch_size: 120", f"a batch of 120 {FITS} 96 usable wells"),
        (
            "seed: 3\n  tip_policy",
            "seed: 3\n  wells: [A1, A2, A3]\n  tip_policy",
            f"a batch of 24 {FITS} 3 usable wells",
        ),
    ],
)
def test_a_batch_larger_than_the_plate_is_refused_at_load(
    examples: Path, old: str, new: str, message: str
) -> None:
    path = examples / "suzuki_hte.yaml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new))
    with pytest.raises(SpecError) as caught:
        load_campaign(path)
    text = str(caught.value)
    assert message in text and "suzuki_hte.yaml:" in text and "batch_size" in text


# ------------------------------------------------------------------- the CLI


def test_dbtl_run_show_export_on_the_suzuki_example(
    examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    suzuki_campaign(examples)  # points the lab at the shared table
    db = f"sqlite:///{tmp_path / 'hte.db'}"

    def dbtl(*args: str) -> tuple[int, str]:
        return run_cli(monkeypatch, capsys, *args)

    code, text = dbtl("run", str(examples / "suzuki_hte.yaml"), "--db", db, "--budget", "6")
    assert code == 0, text
    assert "budget reached: 6 experiment(s) run now" in text
    code, text = dbtl("show", "suzuki-hte-demo", "--db", db, "--events")
    assert code == 0 and "plate: suzuki-hte-demo/plate-1" in text and "well:" in text
    out = tmp_path / "out.csv"
    code, text = dbtl("export", "suzuki-hte-demo", "-o", str(out), "--db", db)
    assert code == 0, text
    lines = out.read_text().splitlines()
    assert len(lines) == 7 and "yield_pct" in lines[0] and "ligand" in lines[0]
