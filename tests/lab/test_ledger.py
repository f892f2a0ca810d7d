"""The run ledger alone: approvals, refusals, state changes, device failures, retries."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Experiment
from datastore.repository import MeasuredValue
from datastore.states import ExperimentStatus as S
from drivers.errors import DeviceError, DeviceUnreachableError
from lab.devices.assembly import build_devices, connected
from lab.running.approvals import ChemistPolicy, make_policy
from lab.running.campaigns import LoadedCampaign, open_campaign
from lab.running.learn import budget_used
from lab.running.ledger import RunLedger, record_outcomes
from lab.running.outages import OutageWatch
from lab.running.reporting import SilentReporter
from lab.running.runner import with_spec
from lab.specs.campaign import RetrySpec
from simulators.clock import SimulatedClock
from tests.lab.helpers import assert_valid_histories, small_campaign

DESIGN = {
    "residence_time_min": 1.0,
    "equivalents": 2.0,
    "concentration_mol_l": 0.2,
    "temperature_c": 80.0,
}


class Recorder(SilentReporter):
    """Keeps what the ledger tells the operator."""

    def __init__(self) -> None:
        self.alerts: list[str] = []
        self.finished: list[tuple[int, str | None]] = []

    def alert(self, message: str) -> None:
        self.alerts.append(message)

    def experiment_finished(
        self, experiment: Experiment, values: Mapping[str, float], error: str | None
    ) -> None:
        self.finished.append((experiment.number, error))


@contextmanager
def ledger_of(
    store: Datastore, loaded: LoadedCampaign, chemist: bool = False
) -> Iterator[RunLedger]:
    campaign, _ = open_campaign(store, loaded, "tester")
    devices = build_devices(loaded.lab, SimulatedClock())
    reporter = Recorder()
    outages = OutageWatch(store, campaign.id or 0, devices, 1.0, "tester", reporter.alert)
    policy = ChemistPolicy() if chemist else make_policy(loaded.spec.approval)
    with connected(devices):
        yield RunLedger(
            store, campaign.id or 0, loaded.spec, loaded.lab, loaded.builder, devices,
            policy, "tester", reporter, outages,
        )  # fmt: skip


def queued(
    store: Datastore, name: str, designs: Sequence[dict[str, Any]], approver: str
) -> list[Experiment]:
    """Experiments approved by ``approver`` and queued, as the loop leaves them."""
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        news = [repo.NewExperiment(d) for d in designs]
        stored = repo.add_proposals(session, campaign, 1, news, None, actor="tester")
        for experiment in stored:
            repo.transition(session, experiment.id or 0, S.AWAITING_APPROVAL, actor="tester")
            repo.transition(session, experiment.id or 0, S.APPROVED, actor=approver)
            repo.transition(session, experiment.id or 0, S.QUEUED, actor="tester")
        ids = {e.id for e in stored}
        return [e for e in repo.list_experiments(session, campaign.id or 0) if e.id in ids]


def statuses(store: Datastore, name: str = "small") -> list[tuple[str, str | None]]:
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        return [(e.status, e.error) for e in repo.list_experiments(session, campaign.id or 0)]


def test_admit_keeps_approved_designs_that_fit_and_refuses_the_rest_with_the_reason(
    store: Datastore, examples: Path
) -> None:
    loaded = small_campaign(examples)
    too_hot = {**DESIGN, "temperature_c": 150.0}  # the lab's heater stops at 140 °C
    with ledger_of(store, loaded, chemist=True) as ledger:
        by_person = queued(store, "small", [DESIGN, too_hot], approver="ada")
        by_policy = queued(store, "small", [DESIGN], approver="policy:auto")
        admitted = ledger.admit([*by_person, *by_policy])
    assert [(e.number, who) for e, who in admitted] == [(1, "ada")]
    (fine, hot, unapproved) = statuses(store)
    assert fine == ("queued", None)
    assert hot[0] == "abandoned" and (hot[1] or "").startswith("refused before running: ")
    assert "reactor_heater setpoint 150 °C exceeds its limit 140 °C" in (hot[1] or "")
    assert unapproved == (
        "abandoned",
        "refused: no approval record allowed by the 'chemist' policy; it never reached a device",
    )
    with store.session() as session:
        assert budget_used(session, ledger.campaign_id) == 1  # refusals are never charged
    assert_valid_histories(store, "small")


def test_a_device_failure_fails_the_run_counts_the_device_and_takes_it_out_of_service(
    store: Datastore, examples: Path
) -> None:
    retry = RetrySpec(max_attempts=1, out_of_service_after=2)
    loaded = with_spec(small_campaign(examples), retry=retry)
    with ledger_of(store, loaded) as ledger:
        experiments = queued(store, "small", [DESIGN, DESIGN], approver="policy:auto")
        for experiment in experiments:
            protocol = ledger.protocol_for(experiment)
            ledger.start_single(experiment, protocol, "policy:auto", f"small/{experiment.number}")
            error = DeviceError("hplc", "column pressure alarm")
            assert ledger.fail([experiment], protocol.devices(), error, {}) == 1
        broken = ledger.out_of_service({"hplc", "pump_dfnb"})
    assert statuses(store) == [("failed", "DeviceError: hplc: column pressure alarm")] * 2
    assert broken.startswith("device hplc is out of service (out of service after 2 consecutive")
    assert any("dbtl lab service flow-sim hplc --on" in a for a in ledger.reporter.alerts)  # type: ignore[attr-defined]
    assert_valid_histories(store, "small")


def test_a_failed_device_run_is_retried_with_the_same_approved_design(
    store: Datastore, examples: Path
) -> None:
    loaded = with_spec(small_campaign(examples), retry=RetrySpec(max_attempts=2))
    with ledger_of(store, loaded, chemist=True) as ledger:
        (experiment,) = queued(store, "small", [DESIGN], approver="ada")
        protocol = ledger.protocol_for(experiment)
        ledger.start_single(experiment, protocol, "ada", "small/1")
        ledger.fail([experiment], protocol.devices(), DeviceError("pump_dfnb", "stalled"), {})
        with store.session() as session:
            retried = repo.list_experiments(session, ledger.campaign_id, [S.APPROVED])
            (retry,) = retried
            assert repo.approvers(session, retry.id or 0)[-1] == "ada"
    assert (retry.parameters, retry.retry_of, retry.attempt) == (DESIGN, 1, 2)
    assert_valid_histories(store, "small")


def test_a_refused_kind_of_error_is_never_retried(store: Datastore, examples: Path) -> None:
    loaded = with_spec(small_campaign(examples), retry=RetrySpec(max_attempts=3))
    with ledger_of(store, loaded) as ledger:
        (experiment,) = queued(store, "small", [DESIGN], approver="policy:auto")
        protocol = ledger.protocol_for(experiment)
        ledger.start_single(experiment, protocol, "policy:auto", "small/1")
        ledger.fail([experiment], protocol.devices(), KeyError("sty_kg_m3_h"), {})
    assert statuses(store) == [("failed", "KeyError: 'sty_kg_m3_h'")]  # no retry queued


def test_an_interrupted_run_is_requeued_if_nothing_was_sent_else_flagged_uncharged(
    store: Datastore, examples: Path
) -> None:
    loaded = small_campaign(examples)
    with ledger_of(store, loaded) as ledger:
        first, second = queued(store, "small", [DESIGN, DESIGN], approver="policy:auto")
        unreachable = DeviceUnreachableError("pump_dfnb", "port closed")
        for experiment, steps in ((first, ["1. set_flow_rate"]), (second, ["1. a", "2. b"])):
            protocol = ledger.protocol_for(experiment)
            ledger.start_single(experiment, protocol, "policy:auto", f"small/{experiment.number}")
            ledger.interrupted([experiment], unreachable, steps, {}, {})
        with store.session() as session:
            assert budget_used(session, ledger.campaign_id) == 1  # the requeued one is open
    (requeued, flagged) = statuses(store)
    assert requeued == ("queued", None)
    assert flagged[0] == "needs_attention" and "stopped answering at 2. b" in (flagged[1] or "")
    assert_valid_histories(store, "small")


def test_record_outcomes_completes_measured_experiments_and_fails_the_others(
    store: Datastore, examples: Path
) -> None:
    loaded = small_campaign(examples)
    with ledger_of(store, loaded) as ledger:
        experiments = queued(store, "small", [DESIGN, DESIGN], approver="policy:auto")
        for experiment in experiments:
            protocol = ledger.protocol_for(experiment)
            ledger.start_single(experiment, protocol, "policy:auto", f"small/{experiment.number}")
        outcomes = {1: [MeasuredValue("sty_kg_m3_h", 12.5, "kg m^-3 h^-1")], 2: "well B1: dry"}
        with store.session() as session:
            record_outcomes(session, experiments, outcomes, "tester")
            values = repo.campaign_measurements(session, ledger.campaign_id)
    assert statuses(store) == [("completed", None), ("failed", "well B1: dry")]
    assert values[experiments[0].id or 0]["sty_kg_m3_h"] == pytest.approx(12.5)
    assert_valid_histories(store, "small")
