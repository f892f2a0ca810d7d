"""The approval gate: policies, review decisions, and 'nothing runs without an approval'."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import leases as lease_repo
from datastore import repository as repo
from datastore.models import Lease
from datastore.states import ExperimentStatus as S
from lab.devices import assembly as lab_devices
from lab.review.control import change_campaign
from lab.review.decisions import Reviewer, ReviewError, explain
from lab.running.approvals import AutoPolicy, ChemistPolicy, RulesPolicy, envelope_flags, is_person
from lab.running.campaigns import open_campaign
from lab.running.learn import planner_inputs
from lab.running.runner import run_campaign, with_spec
from lab.specs.campaign import ApprovalSpec, SafeEnvelope
from planner import Objective
from tests.lab.helpers import assert_valid_histories, small_campaign


def chemist_campaign(examples: Path, budget: int = 3, batch: int = 3, **approval):
    loaded = small_campaign(examples, name="chem", budget=budget, batch=batch, strategy="sobol")
    policy = ApprovalSpec(**({"policy": "chemist"} | approval))
    return with_spec(loaded, approval=policy)


def spy_on_world(monkeypatch) -> list:
    worlds: list = []
    original = lab_devices.BuildContext.world

    def spy(self):
        world = original(self)
        if world not in worlds:
            worlds.append(world)
        return world

    monkeypatch.setattr(lab_devices.BuildContext, "world", spy)
    return worlds


def device_keys(worlds: list) -> list[str]:
    return [k for w in worlds for k in w.executed_keys if not k.endswith("safe-state")]


def experiments(store: Datastore, name: str = "chem"):
    with store.session() as session:
        return repo.list_experiments(session, repo.get_campaign(session, name).id)


def events(store: Datastore, name: str = "chem"):
    with store.session() as session:
        return repo.list_events(session, repo.get_campaign(session, name).id)


# ---------------------------------------------------------------- policies


def test_policies_judge_as_declared() -> None:
    design = {"temperature_c": 110.0, "base": "dbu"}
    envelope = SafeEnvelope(ranges={"temperature_c": (30, 90)}, allowed={"base": ("dbu", "tea")})
    assert AutoPolicy().judge(design, None).decision == "approve"
    assert AutoPolicy().judge(design, "too hot").decision == "reject"
    assert ChemistPolicy().judge(design, None).decision == "hold"
    held = RulesPolicy(envelope).judge(design, None)
    assert held.decision == "hold" and "outside safe range [30, 90]" in held.reasons[0]
    assert (
        RulesPolicy(envelope).judge({"temperature_c": 50.0, "base": "tea"}, None).decision
        == "approve"
    )
    assert envelope_flags({"temperature_c": 50.0, "base": "k2co3"}, envelope) == [
        "base=k2co3 not among allowed dbu, tea"
    ]
    assert ChemistPolicy().may_approve("ana@lab") and not ChemistPolicy().may_approve("policy:auto")
    assert not is_person("policy:rules")


def test_rules_policy_needs_an_envelope_and_known_parameters(examples: Path) -> None:
    with pytest.raises(ValueError, match="needs an envelope"):
        ApprovalSpec(policy="rules")
    loaded = small_campaign(examples)
    with pytest.raises(ValueError, match="unknown parameter"):
        with_spec(
            loaded,
            approval=ApprovalSpec(
                policy="rules", envelope=SafeEnvelope(ranges={"pressure_bar": (0, 5)})
            ),
        )


def test_explanations_tell_exploit_from_explore() -> None:
    objective = [Objective(name="y")]
    assert "exploit" in explain(objective, {"y": {"mean": 12.0, "sd": 1.0}}, {"y": 10.0}, {})
    assert "explore" in explain(objective, {"y": {"mean": 9.0, "sd": 5.0}}, {"y": 10.0}, {})
    assert "space-filling" in explain(objective, {}, {}, {"_generator": "sobol"})


# ------------------------------------------------------------ chemist gate


def test_chemist_gate_holds_until_a_person_decides(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    worlds = spy_on_world(monkeypatch)
    loaded = chemist_campaign(examples)
    result = run_campaign(store, loaded, wait=False)
    assert not result.finished and "await approval" in result.reason
    assert {e.status for e in experiments(store)} == {"awaiting_approval"}
    assert device_keys(worlds) == []

    reviewer = Reviewer(store, "ana@lab")
    views = reviewer.pending("chem")
    assert [v.experiment.number for v in views] == [1, 2, 3]
    assert views[0].protocol_lines and "set_temperature" in views[0].protocol_lines[0]
    first, second, _third = (v.experiment.id for v in views)
    reviewer.approve([first], {"temperature_c": "80"}, comment="cooler")
    reviewer.reject([second], "dilute stock not available")

    run_campaign(store, loaded, wait=False)
    stored = {e.number: e for e in experiments(store)}
    assert stored[1].status == "completed" and stored[1].parameters["temperature_c"] == 80.0
    assert stored[2].status == "rejected" and stored[2].error == "dilute stock not available"
    assert stored[3].status == "awaiting_approval"
    assert {k.split("/")[1] for k in device_keys(worlds)} == {"1"}

    edited = next(e for e in events(store) if e.kind == "edited")
    assert edited.actor == "ana@lab" and edited.payload["comment"] == "cooler"
    assert edited.payload["before"]["temperature_c"] != 80.0
    assert edited.payload["after"]["temperature_c"] == 80.0
    running = next(e for e in events(store) if e.to_status == "running")
    assert running.payload["approved_by"] == "ana@lab"

    with store.session() as session:
        campaign = repo.get_campaign(session, "chem")
        observations, pending = planner_inputs(session, campaign.id, loaded.spec.problem())
    learned = [o for o in observations if not o.failed]
    assert learned[0].parameters["temperature_c"] == 80.0  # the edited design is learned
    assert [o.parameters for o in observations if o.failed] == [stored[2].parameters]
    assert pending == [stored[3].parameters]
    assert_valid_histories(store, "chem")


def test_batch_approval_per_cycle(store: Datastore, examples: Path) -> None:
    loaded = chemist_campaign(examples, budget=6, batch=3)
    run_campaign(store, loaded, wait=False)
    reviewer = Reviewer(store, "ana@lab")
    approved = reviewer.approve(reviewer.select("chem", cycle=1))
    assert [e.status for e in approved] == ["approved"] * 3
    run_campaign(store, loaded, wait=False)
    assert [e.status for e in experiments(store)] == ["completed"] * 3 + ["awaiting_approval"] * 3
    with pytest.raises(ReviewError, match="no proposals await approval in campaign 'chem' cycle 1"):
        reviewer.select("chem", cycle=1)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda r, ids: r.approve([999]), "no experiment with id 999"),
        (lambda r, ids: r.approve([ids[0]], {"temp": "80"}), "unknown parameter 'temp'"),
        (lambda r, ids: r.approve([ids[0]], {"temperature_c": "hot"}), "temperature_c='hot'"),
        (lambda r, ids: r.approve([ids[0]], {"temperature_c": "150"}), "edit refused: .*150"),
        (lambda r, ids: r.approve(ids, {"temperature_c": "60"}), "exactly one proposal"),
        (lambda r, ids: r.reject([ids[0]], "  "), "needs a reason"),
        (lambda r, ids: r.approve([ids[0], 999]), "no experiment with id 999"),
    ],
)
def test_bad_decisions_change_nothing(store: Datastore, examples: Path, action, message) -> None:
    run_campaign(store, chemist_campaign(examples, budget=6, batch=6), wait=False)
    ids = [e.id for e in experiments(store) if e.status == "awaiting_approval"]
    assert len(ids) == 6
    before = ([(e.status, e.parameters) for e in experiments(store)], len(events(store)))
    with pytest.raises(ReviewError, match=message):
        action(Reviewer(store, "ana@lab"), ids)
    after = ([(e.status, e.parameters) for e in experiments(store)], len(events(store)))
    assert after == before


def test_decided_and_aborted_proposals_cannot_be_decided_again(
    store: Datastore, examples: Path
) -> None:
    run_campaign(store, chemist_campaign(examples), wait=False)
    reviewer = Reviewer(store, "ana@lab")
    ids = [e.id for e in experiments(store)]
    reviewer.approve([ids[0]])
    with pytest.raises(ReviewError, match="already decided"):
        reviewer.reject([ids[0]], "changed my mind")
    change_campaign(store, "chem", "abort", "ops@lab", "reagent recalled")
    with pytest.raises(ReviewError, match="which is aborted"):
        reviewer.approve([ids[1]])
    assert {e.status for e in experiments(store)} == {"abandoned"}


def test_policy_names_cannot_review(store: Datastore) -> None:
    with pytest.raises(ReviewError, match="reserved for policies"):
        Reviewer(store, "policy:auto")


def test_rules_policy_escalates_only_outside_the_envelope(store: Datastore, examples: Path) -> None:
    loaded = chemist_campaign(
        examples,
        budget=6,
        batch=6,
        policy="rules",
        envelope=SafeEnvelope(ranges={"temperature_c": (30, 75)}),
    )
    run_campaign(store, loaded, wait=False)
    stored = experiments(store)
    for e in stored:
        if e.parameters["temperature_c"] <= 75:
            assert e.status == "completed"
        else:
            assert e.status == "awaiting_approval"
    assert {e.actor for e in events(store) if e.to_status == "approved"} == {"policy:rules"}
    held = [e for e in events(store) if e.kind == "held"]
    assert held and all("outside safe range" in e.payload["flags"][0] for e in held)


# ----------------------------------------------------- nothing runs unapproved


def test_queued_experiment_without_a_person_approval_never_reaches_a_device(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    worlds = spy_on_world(monkeypatch)
    loaded = chemist_campaign(examples, budget=1, batch=1)
    campaign, _ = open_campaign(store, loaded, "tester")
    design = {
        "residence_time_min": 1.0,
        "equivalents": 2.0,
        "concentration_mol_l": 0.2,
        "temperature_c": 60.0,
    }
    with store.session() as session:
        (e,) = repo.add_proposals(
            session,
            campaign,
            1,
            [repo.NewExperiment(design)],
            repo.NewSnapshot("sobol", 0, 0.0),
            actor="tester",
        )
    for target, actor in (
        (S.AWAITING_APPROVAL, "tester"),
        (S.APPROVED, "policy:auto"),
        (S.QUEUED, "tester"),
    ):
        with store.session() as session:  # a forged approval by a policy, not a person
            repo.transition(session, e.id, target, actor=actor)
    run_campaign(store, loaded, wait=False)
    stored = experiments(store)
    assert stored[0].status == "abandoned" and "no approval record" in stored[0].error
    assert "small/1" not in " ".join(device_keys(worlds)) and not any(
        k.startswith("chem/1/") for k in device_keys(worlds)
    )


def test_waiting_campaign_holds_no_device_and_resumes_on_approval(
    sqlite_url: str, examples: Path
) -> None:
    store = Datastore(sqlite_url)
    loaded = chemist_campaign(examples, budget=2, batch=2)
    outcome: dict = {}
    worker = threading.Thread(
        target=lambda: outcome.update(result=run_campaign(store, loaded, wait=True, poll_s=0.05))
    )
    worker.start()
    deadline = time.monotonic() + 60
    while len(Reviewer(store, "ana@lab").pending()) < 2:
        assert time.monotonic() < deadline, "proposals never appeared"
        time.sleep(0.05)
    with store.session() as session:
        leases = [lease.resource for lease in session.exec(__import__("sqlmodel").select(Lease))]
    assert leases == ["lab:flow-sim"]  # the lab, but no device, is held while waiting
    other_process = Datastore(sqlite_url)  # another process approves through the database
    Reviewer(other_process, "ana@lab").approve(
        Reviewer(other_process, "ana@lab").select("chem", None)
    )
    worker.join(timeout=180)  # a loaded CI machine: generous, and a clear message if not
    assert not worker.is_alive(), "the campaign did not finish within 180 s of the approval"
    assert outcome["result"].finished
    assert [e.status for e in experiments(store)] == ["completed", "completed"]
    with store.session() as session:
        assert lease_repo.current(session, "lab:flow-sim") is None


def test_an_approval_landing_while_the_loop_steps_is_run_not_lost(
    sqlite_url: str, examples: Path, monkeypatch
) -> None:
    """A person approves right after the loop judged the proposals: they still run.

    Before the fix the loop found nothing queued and nothing awaiting, counted
    the approved experiments as budget used and finished the campaign with them
    never run.
    """
    from lab.running.loop import CampaignLoop

    store = Datastore(sqlite_url)
    loaded = chemist_campaign(examples, budget=2, batch=2)
    first = run_campaign(store, loaded, wait=False)
    assert not first.finished and len(Reviewer(store, "ana@lab").pending()) == 2
    judge = CampaignLoop._judge_proposals
    landed: list = []

    def judge_then_a_person_approves(self: CampaignLoop) -> None:
        judge(self)
        if not landed:
            reviewer = Reviewer(store, "ana@lab")
            landed.extend(reviewer.approve(reviewer.select("chem", None)))

    monkeypatch.setattr(CampaignLoop, "_judge_proposals", judge_then_a_person_approves)
    result = run_campaign(store, loaded, wait=False)
    assert len(landed) == 2
    assert result.finished and result.experiments_run == 2
    assert [e.status for e in experiments(store)] == ["completed", "completed"]
