"""The closed loop: plan, approve, build, run, record — until the budget is spent.

Every state change is committed, with its event, before the side effect it
announces: an experiment is ``running`` in the datastore before the first
device command is sent, and its measurements land in the same transaction
that marks it ``completed``. After a crash, :func:`recover` finds experiments
left ``running`` and flags them ``needs_attention`` (their device outcome is
unknown, so they are never re-run), and the loop picks up every other open
experiment where it stood.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Campaign, Experiment
from datastore.states import ExperimentStatus
from drivers.clock import Clock
from drivers.errors import DeviceError
from lab.campaigns import LoadedCampaign
from lab.devices import DeviceSet
from lab.executor import ExecutionError, execute
from lab.learn import budget_used, planner_inputs
from lab.reporting import Reporter
from planner import PlannerError, Proposal, suggest
from planner.errors import InfeasibleSpaceError
from protocols.errors import ProtocolError
from protocols.protocol import Protocol
from protocols.validation import check_protocol

_S = ExperimentStatus
AUTO_APPROVER = "policy:auto"
MAX_IDLE_CYCLES = 5


@dataclass(frozen=True)
class LoopResult:
    """How a run of the loop ended."""

    campaign: str
    experiments_run: int
    cycles_planned: int
    finished: bool
    reason: str


class CampaignLoop:
    """Runs one campaign to its budget on one lab."""

    def __init__(
        self,
        store: Datastore,
        loaded: LoadedCampaign,
        campaign: Campaign,
        devices: DeviceSet,
        clock: Clock,
        actor: str,
        reporter: Reporter,
    ) -> None:
        self.store = store
        self.loaded = loaded
        self.spec = loaded.spec
        self.campaign = campaign
        self.campaign_id = campaign.id or 0
        self.devices = devices
        self.clock = clock
        self.actor = actor
        self.reporter = reporter
        self.limits = loaded.lab.limits()
        self.problem = loaded.spec.problem()

    # ----------------------------------------------------------------- driver
    def run(self) -> LoopResult:
        """Run until the budget is used; return how it ended."""
        flagged = recover(self.store, self.campaign_id, self.actor)
        if flagged:
            self.reporter.recovered(flagged)
        run, cycles, idle_cycles = 0, 0, 0
        while True:
            ran_now = self._advance_open()
            run += ran_now
            idle_cycles = 0 if ran_now or not cycles else idle_cycles + 1
            if idle_cycles >= MAX_IDLE_CYCLES:
                reason = (
                    f"stopped: the last {idle_cycles} cycles' proposals were all rejected "
                    "(see `dbtl show`); check the bounds against the lab's limits"
                )
                return LoopResult(self.spec.name, run, cycles, False, reason)
            with self.store.session() as session:
                remaining = self.spec.budget - budget_used(session, self.campaign_id)
                cycle = repo.last_cycle(session, self.campaign_id) + 1
            if remaining <= 0:
                self._finish()
                return LoopResult(self.spec.name, run, cycles, True, "budget reached")
            try:
                self._plan(cycle, min(self.spec.batch_size, remaining))
            except InfeasibleSpaceError as exc:
                self._finish(reason=str(exc))
                return LoopResult(self.spec.name, run, cycles, True, str(exc))
            cycles += 1

    # --------------------------------------------------------------- planning
    def _plan(self, cycle: int, n: int) -> None:
        problem = self.problem
        with self.store.session() as session:
            observations, pending = planner_inputs(session, self.campaign_id, problem)
        self.reporter.planning(cycle, n)
        started = time.perf_counter()
        proposal = suggest(
            problem,
            observations,
            pending,
            n,
            self.spec.strategy.seed,
            strategy=self.spec.strategy.name,
        )
        seconds = time.perf_counter() - started
        self._store_proposal(cycle, proposal, seconds)
        self.reporter.planned(cycle, proposal, seconds)

    def _store_proposal(self, cycle: int, proposal: Proposal, seconds: float) -> None:
        snapshot = repo.NewSnapshot(
            strategy=proposal.report.strategy,
            n_train=proposal.report.n_train,
            suggest_seconds=seconds,
            diagnostics=dict(proposal.report.diagnostics),
        )
        news = [repo.NewExperiment(s.parameters, s.predicted_json()) for s in proposal.suggestions]
        with self.store.session() as session:
            repo.add_proposals(session, self.campaign, cycle, news, snapshot, actor=self.actor)

    # ------------------------------------------------------------- approving
    def _advance_open(self) -> int:
        """Move every open experiment as far as it can go; return how many ran."""
        self._approve_proposed()
        ran = 0
        for experiment in self._experiments([_S.QUEUED]):
            self._run_one(experiment)
            ran += 1
        return ran

    def _approve_proposed(self) -> None:
        """Auto policy: each proposal is approved if its protocol builds and is within limits."""
        with self.store.session() as session:
            for experiment in repo.list_experiments(session, self.campaign_id, [_S.PROPOSED]):
                repo.transition(session, _eid(experiment), _S.AWAITING_APPROVAL, actor=self.actor)
            for experiment in repo.list_experiments(
                session, self.campaign_id, [_S.AWAITING_APPROVAL]
            ):
                problem = self._protocol_problem(experiment)
                if problem:
                    repo.transition(
                        session,
                        _eid(experiment),
                        _S.REJECTED,
                        actor=AUTO_APPROVER,
                        error=problem,
                        payload={"reason": problem},
                    )
                else:
                    repo.transition(session, _eid(experiment), _S.APPROVED, actor=AUTO_APPROVER)
            for experiment in repo.list_experiments(session, self.campaign_id, [_S.APPROVED]):
                repo.transition(session, _eid(experiment), _S.QUEUED, actor=self.actor)

    def _protocol_problem(self, experiment: Experiment) -> str | None:
        try:
            check_protocol(self._protocol(experiment), self.limits)
        except ProtocolError as exc:
            return str(exc)
        return None

    def _protocol(self, experiment: Experiment) -> Protocol:
        return self.loaded.builder.build(
            experiment.parameters, name=f"{self.spec.name}#{experiment.number}"
        )

    # ---------------------------------------------------------------- running
    def _run_one(self, experiment: Experiment) -> None:
        protocol = self._protocol(experiment)
        with self.store.session() as session:
            repo.transition(
                session,
                _eid(experiment),
                _S.RUNNING,
                actor=self.actor,
                payload={"protocol_sha256": protocol.digest()},
            )
        self.reporter.experiment_started(experiment)
        run_key = f"{self.spec.name}/{experiment.number}"
        try:
            readings = execute(protocol, self.devices, self.clock, run_key)
            measured = self.loaded.builder.measurements(protocol, readings)
        except (DeviceError, ProtocolError, ExecutionError, KeyError) as exc:
            self._fail(experiment, exc)
            return
        with self.store.session() as session:
            repo.record_result(session, _eid(experiment), measured, actor=self.actor)
        self.reporter.experiment_finished(experiment, {m.name: m.value for m in measured}, None)

    def _fail(self, experiment: Experiment, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        problems = self.devices.safe_state()
        with self.store.session() as session:
            repo.transition(
                session,
                _eid(experiment),
                _S.FAILED,
                actor=self.actor,
                error=message,
                payload={"safe_state_errors": problems},
            )
        self.reporter.experiment_finished(experiment, {}, message)

    # ---------------------------------------------------------------- helpers
    def _experiments(self, statuses: Sequence[ExperimentStatus] | None = None) -> list[Experiment]:
        with self.store.session() as session:
            return repo.list_experiments(session, self.campaign_id, statuses)

    def _finish(self, reason: str = "budget reached") -> None:
        with self.store.session() as session:
            campaign = session.get(Campaign, self.campaign_id)
            if campaign is not None and campaign.status != "completed":
                repo.set_campaign_status(
                    session, campaign, "completed", actor=self.actor, reason=reason
                )


def recover(store: Datastore, campaign_id: int, actor: str) -> list[int]:
    """Flag experiments left ``running`` by a crash as ``needs_attention``.

    Their device outcome is unknown: re-running could execute a step twice,
    so a person decides. Returns the numbers of the flagged experiments.
    """
    with store.session() as session:
        stuck = repo.list_experiments(session, campaign_id, [_S.RUNNING])
        for experiment in stuck:
            repo.transition(
                session,
                _eid(experiment),
                _S.NEEDS_ATTENTION,
                actor=actor,
                error="interrupted: the orchestrator stopped while this experiment was running; "
                "its outcome is unknown and it was not re-run",
            )
    return [e.number for e in stuck]


def _eid(experiment: Experiment) -> int:
    assert experiment.id is not None
    return experiment.id


__all__ = ["CampaignLoop", "LoopResult", "PlannerError", "recover"]
