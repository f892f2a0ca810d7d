"""The closed loop: plan, approve, build, run, record — until the budget is spent.

Every state change is committed, with its event, before the side effect it
announces: an experiment is ``running`` in the datastore before the first
device command is sent, and its measurements land in the same transaction
that marks it ``completed``. After a crash, :func:`recover` reconciles
experiments left ``running`` (asking the devices where they can tell, else
flagging ``needs_attention`` for a person: never re-run), and the loop picks up
every other open experiment where it stood.

The loop advances in steps (:meth:`CampaignLoop.step`) so that an
orchestrator can interleave many campaigns; :meth:`CampaignLoop.run` steps
one campaign until it is done, waiting for approvals without holding devices.
The loop only decides what to run next: it plans, applies the approval
policy's verdicts, and hands each batch of queued experiments to the runner
its builder calls for (:func:`runner_for`: one experiment, or one plate, see
:mod:`lab.running.batch`); the runners record everything through the
:class:`lab.running.ledger.RunLedger`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from datastore import Datastore, Session, lookups
from datastore import repository as repo
from datastore.models import Campaign, Experiment
from datastore.provenance import record_plan
from datastore.states import ExperimentStatus
from drivers.clock import Clock
from lab.builders.capabilities import DesignBuilder, PlateBuilder
from lab.devices.assembly import DeviceSet
from lab.running.approvals import ApprovalPolicy, make_policy
from lab.running.batch import BatchRunner
from lab.running.campaigns import LoadedCampaign
from lab.running.learn import budget_used, planner_inputs, propose
from lab.running.leasing import DeviceArbiter
from lab.running.ledger import RunLedger
from lab.running.outages import OutageWatch, resume_after_outage
from lab.running.plate_runner import PlateRunner
from lab.running.reconcile import reconcile_running
from lab.running.reporting import Reporter
from lab.running.single_runner import SingleRunner
from planner import Proposal
from planner.errors import InfeasibleSpaceError

_S = ExperimentStatus
MAX_IDLE_CYCLES = 5
OPEN_BEFORE_RUN = (_S.PROPOSED, _S.AWAITING_APPROVAL, _S.APPROVED, _S.QUEUED)


class StepResult(StrEnum):
    """What one step of a campaign did."""

    WORKED = "worked"
    WAITING = "waiting"
    FINISHED = "finished"
    STOPPED = "stopped"


@dataclass(frozen=True)
class LoopResult:
    """How a run of the loop ended."""

    campaign: str
    experiments_run: int
    cycles_planned: int
    finished: bool
    reason: str


class CampaignLoop:
    """Runs one campaign on one lab, step by step."""

    def __init__(
        self,
        store: Datastore,
        loaded: LoadedCampaign,
        campaign: Campaign,
        devices: DeviceSet,
        clock: Clock,
        actor: str,
        reporter: Reporter,
        arbiter: DeviceArbiter,
        policy: ApprovalPolicy | None = None,
    ) -> None:
        self.store = store
        self.loaded = loaded
        self.spec = loaded.spec
        self.campaign_id = campaign.id or 0
        self.devices = devices
        self.clock = clock
        self.actor = actor
        self.reporter = reporter
        self.arbiter = arbiter
        self.policy = policy or make_policy(loaded.spec.approval)
        self.problem = loaded.problem
        self.waiting_for = ""
        self.ran = 0
        self.cycles = 0
        self._idle_cycles = 0
        self.outages = OutageWatch(
            store, self.campaign_id, devices, loaded.lab.outage_timeout_s, actor, reporter.alert
        )
        self.ledger = RunLedger(
            store, self.campaign_id, loaded.spec, loaded.lab, loaded.builder, devices,
            self.policy, actor, reporter, self.outages,
        )  # fmt: skip
        self.runner = runner_for(loaded.builder, self.ledger, clock, arbiter)

    # ----------------------------------------------------------------- driver
    def run(
        self, wait: bool = True, poll_s: float = 2.0, device_timeout_s: float | None = None
    ) -> LoopResult:
        """Step until the budget is used (or the campaign is aborted).

        Args:
            wait: Wait for approvals (and paused campaigns); if False, return
                as soon as the campaign can only wait.
            poll_s: Seconds between looks at the datastore while waiting.
            device_timeout_s: Give up waiting for busy devices after this long.
        """
        self.recover()
        announced = ""
        while True:
            result = self.step(device_timeout_s)
            if result in (StepResult.FINISHED, StepResult.STOPPED):
                return self._result(result)
            if result == StepResult.WAITING:
                if not wait:
                    return self._result(result)
                if self.waiting_for != announced:
                    self.reporter.waiting(self.waiting_for)
                    announced = self.waiting_for
                time.sleep(poll_s)

    def recover(self) -> None:
        """Resume a campaign an outage paused; reconcile what a crash left running.

        See :func:`lab.running.outages.resume_after_outage` and
        :func:`lab.running.reconcile.reconcile_running`.
        """
        if resume_after_outage(self.store, self.campaign_id, self.actor):
            self.reporter.alert("resuming the campaign an outage paused; probing its devices")
        outcome = reconcile_running(
            self.store, self.loaded, self.campaign_id, self.devices, self.actor, self.clock
        )
        if outcome.flagged or outcome.completed or outcome.failed:
            self.reporter.recovered(outcome.flagged)

    def step(self, device_timeout_s: float | None = None) -> StepResult:
        """Do the next piece of work: judge proposals, run one experiment (or plate), or plan."""
        status = self._campaign_status()
        if status == "aborted":
            self._abandon_open("campaign aborted")
            return StepResult.STOPPED
        if status == "completed":
            self.waiting_for = self.waiting_for or "campaign already completed"
            return StepResult.FINISHED
        if status == "paused":
            return self._wait("campaign paused (dbtl campaign resume " + self.spec.name + ")")
        self._judge_proposals()
        queued = self.experiments([_S.QUEUED])
        if queued:
            return self._run_batch(queued, device_timeout_s)
        held = self.experiments([_S.AWAITING_APPROVAL])
        if held:
            numbers = ", ".join(f"#{e.number}" for e in held)
            return self._wait(
                f"{len(held)} proposal(s) await approval ({numbers}); "
                f"see `dbtl review --campaign {self.spec.name}`"
            )
        if self.experiments([_S.APPROVED]):
            return StepResult.WORKED  # approved since this step judged: queued by the next one
        return self._plan_or_finish()

    # --------------------------------------------------------------- planning
    def _plan_or_finish(self) -> StepResult:
        with self.store.session() as session:
            remaining = self.spec.budget - budget_used(session, self.campaign_id)
            cycle = repo.last_cycle(session, self.campaign_id) + 1
        if remaining <= 0:
            self._finish("budget reached")
            return StepResult.FINISHED
        if self._idle_cycles >= MAX_IDLE_CYCLES:
            return self._stop(
                f"the last {self._idle_cycles} cycles' proposals were all rejected "
                "(see `dbtl show --events`); check the bounds against the lab's "
                "limits"
            )
        try:
            self._plan(cycle, min(self.spec.batch_size, remaining))
        except InfeasibleSpaceError as exc:
            self._finish(str(exc))
            return StepResult.FINISHED
        return StepResult.WORKED

    def _plan(self, cycle: int, n: int) -> None:
        with self.store.session() as session:
            observations, pending = planner_inputs(session, self.campaign_id, self.problem)
        self.reporter.planning(cycle, n)
        started = time.perf_counter()
        proposal = propose(self.problem, self.spec.strategy, observations, pending, n)
        seconds = time.perf_counter() - started
        self._store_proposal(cycle, proposal, seconds)
        self.cycles += 1
        self._idle_cycles += 1  # reset when one of its experiments runs
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
            campaign = repo.get_campaign(session, self.spec.name)
            strategy = self.spec.strategy
            record_plan(
                session, self.campaign_id, cycle,
                strategy=strategy.name, options=strategy.options, seed=strategy.seed,
            )  # fmt: skip
            repo.add_proposals(session, campaign, cycle, news, snapshot, actor=self.actor)

    # ------------------------------------------------------------- approving
    def _judge_proposals(self) -> None:
        """Submit new proposals for approval and apply the policy's verdicts."""
        with self.store.session() as session:
            for experiment in repo.list_experiments(session, self.campaign_id, [_S.PROPOSED]):
                repo.transition(session, _eid(experiment), _S.AWAITING_APPROVAL, actor=self.actor)
            for experiment in repo.list_experiments(
                session, self.campaign_id, [_S.AWAITING_APPROVAL]
            ):
                if not self._judged(session, experiment):
                    self._apply_verdict(session, experiment)
            for experiment in repo.list_experiments(session, self.campaign_id, [_S.APPROVED]):
                repo.transition(session, _eid(experiment), _S.QUEUED, actor=self.actor)

    def _judged(self, session: Session, experiment: Experiment) -> bool:
        """Whether the policy already held this proposal (it is now a person's call)."""
        return repo.has_event(session, _eid(experiment), "held")

    def _apply_verdict(self, session: Session, experiment: Experiment) -> None:
        verdict = self.policy.judge(experiment.parameters, self.ledger.protocol_problem(experiment))
        if verdict.decision == "approve":
            repo.transition(session, _eid(experiment), _S.APPROVED, actor=verdict.actor)
        elif verdict.decision == "reject":
            reason = "; ".join(verdict.reasons)
            repo.transition(
                session,
                _eid(experiment),
                _S.REJECTED,
                actor=verdict.actor,
                error=reason,
                payload={"reason": reason},
            )
        else:
            repo.append_event(
                session,
                self.campaign_id,
                "held",
                actor=verdict.actor,
                experiment_id=_eid(experiment),
                payload={"flags": list(verdict.reasons)},
            )

    # ---------------------------------------------------------------- running
    def _run_batch(self, queued: list[Experiment], device_timeout_s: float | None) -> StepResult:
        """Hand the next batch of queued experiments to the runner (a full one, if it can fill)."""
        capacity = self.runner.capacity()
        if len(queued) < capacity:
            held = self.experiments([_S.AWAITING_APPROVAL])
            if held:
                numbers = ", ".join(f"#{e.number}" for e in held)
                return self._wait(
                    f"a {self.runner.batch_name} of {len(queued)} approved experiment(s) waits "
                    f"for decisions on {len(held)} more ({numbers}); "
                    f"see `dbtl review --campaign {self.spec.name}`"
                )
            if self.experiments([_S.APPROVED]):
                return StepResult.WORKED  # approved since this step judged: joins the batch next
        outcome = self.runner.run(queued[:capacity], device_timeout_s)
        if outcome.ran:
            self.ran += outcome.ran
            self._idle_cycles = 0
        return self._wait(outcome.waiting) if outcome.waiting else StepResult.WORKED

    # ---------------------------------------------------------------- helpers
    def experiments(self, statuses: list[ExperimentStatus]) -> list[Experiment]:
        """The campaign's experiments in ``statuses``, in number order."""
        with self.store.session() as session:
            return repo.list_experiments(session, self.campaign_id, statuses)

    def _campaign_status(self) -> str:
        with self.store.session() as session:
            campaign = lookups.campaign_by_id(session, self.campaign_id)
            return campaign.status if campaign else "aborted"

    def _wait(self, reason: str) -> StepResult:
        self.waiting_for = reason
        return StepResult.WAITING

    def _stop(self, reason: str) -> StepResult:
        self.waiting_for = reason
        return StepResult.STOPPED

    def _abandon_open(self, reason: str) -> None:
        with self.store.session() as session:
            for experiment in repo.list_experiments(session, self.campaign_id, OPEN_BEFORE_RUN):
                repo.transition(
                    session, _eid(experiment), _S.ABANDONED, actor=self.actor, error=reason
                )
        self.waiting_for = reason

    def _finish(self, reason: str) -> None:
        with self.store.session() as session:
            campaign = lookups.campaign_by_id(session, self.campaign_id)
            if campaign is not None and campaign.status == "active":
                repo.set_campaign_status(
                    session, campaign, "completed", actor=self.actor, reason=reason
                )
        self.waiting_for = reason

    def _result(self, result: StepResult) -> LoopResult:
        finished = result == StepResult.FINISHED
        return LoopResult(self.spec.name, self.ran, self.cycles, finished, self.waiting_for)


def runner_for(
    builder: DesignBuilder, ledger: RunLedger, clock: Clock, arbiter: DeviceArbiter
) -> BatchRunner:
    """The runner the campaign's builder calls for, by its declared capability.

    A plate runner for a :class:`lab.builders.capabilities.PlateBuilder`, a
    single-experiment runner (a batch of one) otherwise.
    """
    if isinstance(builder, PlateBuilder):
        return PlateRunner(ledger, builder, clock, arbiter)
    return SingleRunner(ledger, builder, clock, arbiter)


def _eid(experiment: Experiment) -> int:
    assert experiment.id is not None
    return experiment.id


__all__ = ["CampaignLoop", "LoopResult", "StepResult", "runner_for"]
