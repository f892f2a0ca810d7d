from dataclasses import replace
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from datastore.states import ExperimentStatus as S
from drivers.analyzer import AnalyzerBackend
from drivers.base import DeviceIdentity
from drivers.errors import DeviceError
from lab.devices import assembly as lab_devices
from lab.devices.assembly import build_devices
from lab.running.campaigns import default_actor, load_campaign, open_campaign
from lab.running.learn import budget_used, planner_inputs
from lab.running.reconcile import reconcile_running
from lab.running.runner import run_campaign, with_spec
from lab.specs.yamlio import SpecError
from simulators.clock import SimulatedClock
from tests.lab.helpers import (
    assert_valid_histories,
    events_by_experiment,
    small_campaign,
    swap_factory,
)


def experiments(store: Datastore, name: str):
    with store.session() as session:
        return repo.list_experiments(session, repo.get_campaign(session, name).id)


def test_campaign_runs_to_budget_through_every_state(store: Datastore, examples: Path) -> None:
    loaded = small_campaign(examples)
    result = run_campaign(store, loaded)
    assert result.finished and result.experiments_run == 6 and result.cycles_planned == 3
    stored = experiments(store, "small")
    assert [e.number for e in stored] == [1, 2, 3, 4, 5, 6]
    assert {e.status for e in stored} == {"completed"}
    paths = {
        tuple(ev.to_status for ev in events)
        for events in events_by_experiment(store, "small").values()
    }
    assert paths == {
        ("proposed", "awaiting_approval", "approved", "queued", "running", "completed")
    }
    with store.session() as session:
        campaign = repo.get_campaign(session, "small")
        assert campaign.status == "completed"
        assert [s.cycle for s in repo.list_snapshots(session, campaign.id)] == [1, 2, 3]
        values = repo.campaign_measurements(session, campaign.id)
    assert all(v["sty_kg_m3_h"] > 0 and "ortho_mol_l" in v for v in values.values())
    assert_valid_histories(store, "small")


def test_every_device_command_carries_an_idempotency_key(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    worlds = []
    original = lab_devices.BuildContext.world

    def spy(self):
        world = original(self)
        if world not in worlds:
            worlds.append(world)
        return world

    monkeypatch.setattr(lab_devices.BuildContext, "world", spy)
    run_campaign(store, small_campaign(examples, budget=2, batch=1))
    keys = [k for k in worlds[0].executed_keys if not k.endswith("safe-state")]
    assert keys[:6] == [f"small/1/{i}" for i in (1, 2, 3, 4, 6)] + ["small/2/1"]
    assert len(keys) == len(set(keys))


def test_rerun_of_a_finished_campaign_runs_nothing(store: Datastore, examples: Path) -> None:
    loaded = small_campaign(examples)
    run_campaign(store, loaded)
    again = run_campaign(store, loaded)
    assert again.experiments_run == 0 and again.finished
    assert len(experiments(store, "small")) == 6


def test_larger_budget_continues_the_campaign(store: Datastore, examples: Path) -> None:
    run_campaign(store, small_campaign(examples, budget=4))
    result = run_campaign(store, small_campaign(examples, budget=7))
    assert result.experiments_run == 3
    assert [e.number for e in experiments(store, "small")] == list(range(1, 8))


def test_changed_spec_is_refused_and_nothing_changes(store: Datastore, examples: Path) -> None:
    run_campaign(store, small_campaign(examples, budget=2))
    changed = small_campaign(examples, budget=2, seed=99)
    with pytest.raises(SpecError, match=r"different spec \(changed: strategy\)"):
        run_campaign(store, changed)
    assert len(experiments(store, "small")) == 2


def test_unsafe_proposals_are_rejected_with_the_limit_named(
    store: Datastore, examples: Path
) -> None:
    """Defence in depth: a lab that changed after load (a heater swapped for a smaller one)
    still gets no proposal over its limit; each is rejected with the limit named."""
    loaded = small_campaign(examples, budget=6, batch=3)
    devices = [
        d.model_copy(update={"max_temperature_c": 75.0}) if d.kind == "heater" else d
        for d in loaded.lab.devices
    ]
    loaded = replace(loaded, lab=loaded.lab.model_copy(update={"devices": tuple(devices)}))
    result = run_campaign(store, loaded)
    assert result.finished
    stored = experiments(store, "small")
    rejected = [e for e in stored if e.status == "rejected"]
    done = [e for e in stored if e.status == "completed"]
    assert len(done) == 6 and rejected
    assert all("exceeds its limit 75 °C" in (e.error or "") for e in rejected)
    assert all(e.parameters["temperature_c"] <= 75.0 for e in done)
    with store.session() as session:
        campaign = repo.get_campaign(session, "small")
        assert budget_used(session, campaign.id) == 6
        observations, _ = planner_inputs(
            session, campaign.id, small_campaign(examples).spec.problem()
        )
    assert sum(o.failed for o in observations) == len(rejected)
    assert_valid_histories(store, "small")


class FlakyAnalyzer(AnalyzerBackend):
    """Fails every other sample, like an HPLC whose injector sticks."""

    calls = 0

    def identify(self) -> DeviceIdentity:
        return DeviceIdentity("flaky")

    def measure(self, label: str, key: str):
        FlakyAnalyzer.calls += 1
        if FlakyAnalyzer.calls % 2:
            raise DeviceError("hplc", "injector valve did not switch")
        return {f"{s}_mol_l": 0.1 for s in ("dfnb", "pyrrolidine", "ortho", "para", "bis")}


def test_device_error_fails_the_experiment_and_the_campaign_goes_on(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    from drivers.analyzer import Analyzer

    swap_factory(
        monkeypatch,
        "analyzer",
        "simulated",
        lambda spec, settings, ctx: Analyzer(spec.name, FlakyAnalyzer()),
    )
    FlakyAnalyzer.calls = 0
    result = run_campaign(store, small_campaign(examples, budget=4))
    assert result.finished
    stored = experiments(store, "small")
    assert [e.status for e in stored] == ["failed", "completed", "failed", "completed"]
    assert "injector valve did not switch" in stored[0].error
    with store.session() as session:
        campaign = repo.get_campaign(session, "small")
        failed_events = [
            e for e in repo.list_events(session, campaign.id) if e.to_status == "failed"
        ]
    assert all("safe_state_errors" in e.payload for e in failed_events)


def test_recover_flags_running_experiments_and_never_reruns_them(
    store: Datastore, examples: Path
) -> None:
    loaded = small_campaign(examples, budget=4)
    campaign, _ = open_campaign(store, loaded, "tester")
    with store.session() as session:
        (e1, _) = repo.add_proposals(
            session,
            campaign,
            1,
            [
                repo.NewExperiment(
                    {
                        "residence_time_min": 1.0,
                        "equivalents": 2.0,
                        "concentration_mol_l": 0.2,
                        "temperature_c": 60.0,
                    }
                )
            ]
            * 2,
            repo.NewSnapshot("random", 0, 0.0),
            actor="tester",
        )
    for target in (S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED, S.RUNNING):
        with store.session() as session:
            repo.transition(session, e1.id, target, actor="tester")
    devices = build_devices(loaded.lab, SimulatedClock())
    outcome = reconcile_running(store, loaded, campaign.id, devices, "tester")
    assert outcome.flagged == [1] and outcome.completed == []
    with store.session() as session:
        flagged = repo.get_experiment(session, e1.id)
        assert flagged.status == "needs_attention" and "not re-run" in flagged.error
        _, pending = planner_inputs(session, campaign.id, loaded.spec.problem())
    assert len(pending) == 2
    result = run_campaign(store, loaded)
    assert result.finished
    statuses = [e.status for e in experiments(store, "small")]
    # the crash is infrastructure: the flagged experiment costs no budget
    assert statuses[0] == "needs_attention"
    assert statuses.count("completed") == loaded.spec.budget
    assert_valid_histories(store, "small")


def test_load_campaign_checks_the_budget_override(examples: Path) -> None:
    with pytest.raises(SpecError, match="--budget must be at least 1"):
        load_campaign(examples / "snar_flow.yaml", budget=0)


def test_actor_names_user_host_and_process() -> None:
    actor = default_actor()
    assert "@" in actor and actor.rsplit(":", 1)[1].isdigit()


def test_with_spec_revalidates(examples: Path) -> None:
    loaded = load_campaign(examples / "snar_flow.yaml")
    with pytest.raises(Exception, match="budget"):
        with_spec(loaded, budget=0)
