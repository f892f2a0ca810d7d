"""Device outages on the simulated flow lab: waited out, never failed, never charged."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from datastore.states import ExperimentStatus
from drivers.errors import (
    DeviceCommandError,
    DeviceConnectionError,
    DeviceNoReplyError,
    DeviceProtocolError,
    DeviceTimeoutError,
    DeviceUnreachableError,
)
from lab.review.control import change_campaign
from lab.running import outages
from lab.running.campaigns import LoadedCampaign, open_campaign
from lab.running.learn import budget_used
from lab.running.outages import INTERRUPTED_EVENT, DeviceOutageError, infrastructure_fault
from lab.running.runner import run_campaign
from simulators.flow_reactor import SimulatedHeater, SimulatedPump
from tests.lab.helpers import assert_valid_histories, small_campaign


class Outage:
    """Makes the simulated pumps (or heater) fail as chosen, per call."""

    def __init__(self) -> None:
        self.commands_failing: list[Exception] = []
        self.probes_failing = 0
        self.probes = 0

    def command(self) -> None:
        if self.commands_failing:
            raise self.commands_failing.pop(0)

    def probe(self) -> None:
        self.probes += 1
        if self.probes_failing > 0:
            self.probes_failing -= 1
            raise DeviceConnectionError("pump_dfnb", "cannot open port: refused")


@pytest.fixture
def outage(monkeypatch) -> Outage:
    state = Outage()
    monkeypatch.setattr(outages, "FIRST_BACKOFF_S", 0.001)
    set_flow, identify = SimulatedPump.set_flow_rate, SimulatedPump.identify

    def failing_set_flow(self, flow_rate_ml_min: float, key: str) -> None:
        if self.name == "pump_dfnb" and flow_rate_ml_min > 0:
            state.command()
        set_flow(self, flow_rate_ml_min, key)

    def failing_identify(self):
        if self.name == "pump_dfnb":
            state.probe()
        return identify(self)

    monkeypatch.setattr(SimulatedPump, "set_flow_rate", failing_set_flow)
    monkeypatch.setattr(SimulatedPump, "identify", failing_identify)
    return state


def with_timeout(loaded: LoadedCampaign, seconds: float) -> LoadedCampaign:
    lab = loaded.lab.model_copy(update={"outage_timeout_s": seconds})
    return dataclasses.replace(loaded, lab=lab)


def statuses(store: Datastore, name: str) -> Counter[str]:
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        return Counter(e.status for e in repo.list_experiments(session, campaign.id))


def campaign_status(store: Datastore, name: str) -> str:
    with store.session() as session:
        return repo.get_campaign(session, name).status


def test_an_outage_mid_run_flags_the_experiment_and_costs_no_budget(
    store: Datastore, examples: Path, outage: Outage
) -> None:
    loaded = with_timeout(small_campaign(examples, budget=4, batch=1), 30.0)
    outage.commands_failing = [DeviceConnectionError("pump_dfnb", "connection lost during RUN")]
    outage.probes_failing = 3  # the probes after the drop: silent twice, then back
    result = run_campaign(store, loaded)
    assert result.finished
    counts = statuses(store, "small")
    assert counts == Counter({"completed": 4, "needs_attention": 1})
    with store.session() as session:
        campaign = repo.get_campaign(session, "small")
        assert budget_used(session, campaign.id) == 4
        flagged = repo.list_experiments(session, campaign.id, [ExperimentStatus.NEEDS_ATTENTION])
        assert repo.has_event(session, flagged[0].id, INTERRUPTED_EVENT)
        events = repo.list_events(session, campaign.id)
    assert flagged[0].error is not None
    assert "device pump_dfnb stopped answering at" in flagged[0].error
    assert "sent before it: 1. " in flagged[0].error  # the heater's steps reached it
    moves = [e.payload for e in events if e.kind == "campaign_status"]
    assert [m["to"] for m in moves][:2] == ["paused", "active"] and moves[-1]["to"] == "completed"
    assert "device outage: pump_dfnb not answering" in moves[0]["reason"]
    assert campaign_status(store, "small") == "completed"
    assert_valid_histories(store, "small")


def test_nothing_sent_puts_the_experiment_back_in_the_queue(
    store: Datastore, examples: Path, monkeypatch
) -> None:
    monkeypatch.setattr(outages, "FIRST_BACKOFF_S", 0.001)
    failures = [DeviceUnreachableError("reactor_heater", "cannot open port: refused")]
    set_temperature = SimulatedHeater.set_temperature

    def first_fails(self, temperature_c: float, key: str) -> None:
        if failures:
            raise failures.pop()
        set_temperature(self, temperature_c, key)

    monkeypatch.setattr(SimulatedHeater, "set_temperature", first_fails)
    loaded = small_campaign(examples, budget=2, batch=1)
    assert run_campaign(store, loaded).finished
    assert statuses(store, "small") == Counter({"completed": 2})
    with store.session() as session:
        campaign = repo.get_campaign(session, "small")
        first = repo.list_experiments(session, campaign.id)[0]
        moves = [
            (e.from_status, e.to_status)
            for e in repo.list_events(session, campaign.id)
            if e.kind == "transition" and e.experiment_id == first.id
        ]
    assert ("running", "queued") in moves and moves[-1] == ("running", "completed")
    assert_valid_histories(store, "small")


def test_a_device_down_past_the_timeout_ends_the_run_paused_and_the_next_run_finishes(
    store: Datastore, examples: Path, outage: Outage
) -> None:
    loaded = with_timeout(small_campaign(examples, budget=3, batch=1), 0.05)
    outage.commands_failing = [DeviceConnectionError("pump_dfnb", "connection lost during RUN")]
    outage.probes_failing = 10**6
    with pytest.raises(DeviceOutageError, match=r"^pump_dfnb: did not answer for 0.05 s"):
        run_campaign(store, loaded)
    assert campaign_status(store, "small") == "paused"
    outage.probes_failing = 0
    assert run_campaign(store, loaded).finished
    counts = statuses(store, "small")
    assert counts["completed"] == 3 and counts["failed"] == 0
    assert campaign_status(store, "small") == "completed"


def test_only_an_outage_pause_is_lifted_by_a_new_run(store: Datastore, examples: Path) -> None:
    loaded = small_campaign(examples, budget=1, batch=1)
    campaign, _ = open_campaign(store, loaded, "me")
    campaign_id = campaign.id or 0
    change_campaign(store, "small", "pause", "ana", reason="cleaning the reactor")
    assert not outages.resume_after_outage(store, campaign_id, "me")
    assert campaign_status(store, "small") == "paused"
    change_campaign(store, "small", "resume", "ana")
    with store.session() as session:
        stored = repo.get_campaign(session, "small")
        reason = f"{outages.OUTAGE_REASON} pump_dfnb not answering"
        repo.set_campaign_status(session, stored, "paused", actor="me", reason=reason)
    assert outages.resume_after_outage(store, campaign_id, "me")
    assert campaign_status(store, "small") == "active"


def test_which_failures_are_infrastructure(store: Datastore, examples: Path) -> None:
    from lab.devices.assembly import build_devices, connected
    from simulators.clock import SimulatedClock

    loaded = small_campaign(examples)
    with connected(build_devices(loaded.lab, SimulatedClock())) as devices:
        names = {"reactor_heater", "hplc"}
        stuck = DeviceTimeoutError("reactor_heater", "did not reach 80 C within 600 s")
        assert infrastructure_fault(devices, stuck, names) is None  # the heater answers: its own
        lost = DeviceTimeoutError("hplc", "no new report within 900 s")
        assert infrastructure_fault(devices, lost, names) == {}  # a result that never came
        dropped = DeviceConnectionError("reactor_heater", "connection lost")
        assert infrastructure_fault(devices, dropped, names) == {
            "reactor_heater": "connection lost"
        }
        garbled = DeviceProtocolError("reactor_heater", "garbled reply")
        assert infrastructure_fault(devices, garbled, names) == {}  # line noise, not chemistry
        lost = DeviceNoReplyError("reactor_heater", "no reply to SP within 2 s")
        assert infrastructure_fault(devices, lost, names) == {}
        refused = DeviceCommandError("hplc", "INJ", "E1", "refused")
        assert infrastructure_fault(devices, refused, names) is None


@pytest.mark.parametrize("when", ["mid-run", "before the run"])
def test_an_outage_is_waited_out_with_the_devices_released(
    store: Datastore, examples: Path, outage: Outage, monkeypatch, when: str
) -> None:
    """While one campaign waits for a silent pump, the lab's devices are free for the others."""
    from lab.running.leasing import LeaseKeeper, device_resource

    loaded = with_timeout(small_campaign(examples, budget=2, batch=1), 30.0)
    if when == "mid-run":
        outage.commands_failing = [DeviceConnectionError("pump_dfnb", "connection lost")]
        outage.probes_failing = 2
    else:
        outage.probes_failing = 1  # the first probe of the first batch
    devices = sorted(d.name for d in loaded.lab.devices)
    free_during_wait: list[bool] = []
    wait = outages.OutageWatch.wait

    def checking_wait(self, silent: dict[str, str]) -> None:
        other = LeaseKeeper(store, "another-campaign@h:1")
        free_during_wait.append(
            all(other.try_acquire(device_resource(loaded.lab.name, d)) for d in devices)
        )
        other.close()
        wait(self, silent)

    monkeypatch.setattr(outages.OutageWatch, "wait", checking_wait)
    assert run_campaign(store, loaded).finished
    assert free_during_wait and all(free_during_wait)
    assert statuses(store, "small")["completed"] == 2
    assert_valid_histories(store, "small")
