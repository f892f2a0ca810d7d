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
A step runs one experiment, or, when the campaign's builder builds plates,
one plate of queued experiments (:class:`lab.plate_runs.PlateRuns`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session

from datastore import Datastore
from datastore import leases as lease_repo
from datastore import repository as repo
from datastore.models import Campaign, Experiment
from datastore.provenance import record_plan
from datastore.states import ExperimentStatus
from drivers.clock import Clock
from drivers.errors import DeviceError
from lab.approvals import ApprovalPolicy, make_policy
from lab.campaigns import LoadedCampaign
from lab.devices import DeviceSet
from lab.executor import ExecutionError, execute
from lab.learn import budget_used, planner_inputs, propose
from lab.leasing import DeviceArbiter
from lab.loop_failures import FailureHandling
from lab.outages import (
    OutageWatch,
    devices_involved,
    infrastructure_fault,
    resume_after_outage,
    silent_devices,
)
from lab.plate_runs import PlateBuilder, PlateRuns
from lab.provenance_capture import record_analyses, record_single_run
from lab.reconcile import reconcile_running
from lab.reporting import Reporter
from planner import Proposal
from planner.errors import InfeasibleSpaceError
from protocols.errors import ProtocolError
from protocols.protocol import Protocol
from protocols.validation import check_protocol

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


class CampaignLoop(FailureHandling):
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
        self.limits = loaded.lab.limits()
        self.problem = loaded.problem
        self.waiting_for = ""
        self.ran = 0
        self.cycles = 0
        self._idle_cycles = 0
        builder = loaded.builder
        self.plates = PlateRuns(self, builder) if isinstance(builder, PlateBuilder) else None
        self.outages = OutageWatch(
            store, self.campaign_id, devices, loaded.lab.outage_timeout_s, actor, reporter.alert
        )

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

        See :func:`lab.outages.resume_after_outage` and :func:`lab.reconcile.reconcile_running`.
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
        if queued and self.plates is not None:
            waiting = self.plates.run(queued, device_timeout_s)
            return self._wait(waiting) if waiting else StepResult.WORKED
        if queued:
            return self._run_next(queued[0], device_timeout_s)
        held = self.experiments([_S.AWAITING_APPROVAL])
        if held:
            numbers = ", ".join(f"#{e.number}" for e in held)
            return self._wait(
                f"{len(held)} proposal(s) await approval ({numbers}); "
                f"see `dbtl review --campaign {self.spec.name}`"
            )
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
        verdict = self.policy.judge(experiment.parameters, self.protocol_problem(experiment))
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

    def protocol_for(self, experiment: Experiment) -> Protocol:
        """Build the protocol of one experiment."""
        return self.loaded.builder.build(
            experiment.parameters, name=f"{self.spec.name}#{experiment.number}"
        )

    def protocol_problem(self, experiment: Experiment) -> str | None:
        """Why the experiment's protocol cannot run on this lab, or ``None``."""
        try:
            check_protocol(self.protocol_for(experiment), self.limits)
        except ProtocolError as exc:
            return str(exc)
        return None

    # ---------------------------------------------------------------- running
    def _run_next(self, experiment: Experiment, device_timeout_s: float | None) -> StepResult:
        approval = self.approval_of(experiment)
        if approval is None:
            self.refuse_unapproved(experiment)
            return StepResult.WORKED
        protocol = self.protocol_for(experiment)
        problem = self.protocol_problem(experiment)
        if problem:  # limits may have changed, or a person approved an unsafe edit
            self.refuse(experiment, problem)
            return StepResult.WORKED
        broken = self.out_of_service(protocol)
        if broken:
            return self._wait(broken)
        with self.arbiter.hold(
            protocol.devices(), self.spec.priority, self.campaign_id, device_timeout_s
        ) as granted:
            if not granted:
                return self._wait("devices busy: " + ", ".join(sorted(protocol.devices())))
            if not self.devices_answer(protocol):
                return StepResult.WORKED  # the experiment stayed queued through the outage
            self._execute(experiment, protocol, approval)
        return StepResult.WORKED

    def devices_answer(self, protocol: Protocol) -> bool:
        """Probe the protocol's devices; wait out an outage of any (see :mod:`lab.outages`).

        Returns:
            True if every device answered at once; False after an outage was waited out.

        Raises:
            DeviceOutageError: A device stayed silent past the lab's ``outage_timeout_s``.
        """
        silent = silent_devices(self.devices, self.involved(protocol))
        if not silent:
            return True
        self.outages.wait(silent)
        return False

    def involved(self, protocol: Protocol) -> set[str]:
        """The devices a protocol drives, with those they drive (see :func:`devices_involved`)."""
        return devices_involved(self.loaded.lab, protocol.devices())

    def approval_of(self, experiment: Experiment) -> str | None:
        """The actor whose approval lets this experiment run under the policy, if any."""
        with self.store.session() as session:
            approvers = repo.approvers(session, _eid(experiment))
        allowed = [a for a in approvers if self.policy.may_approve(a)]
        return allowed[-1] if allowed else None

    def _execute(self, experiment: Experiment, protocol: Protocol, approval: str) -> None:
        with self.store.session() as session:
            repo.transition(
                session,
                _eid(experiment),
                _S.RUNNING,
                actor=self.actor,
                payload={"protocol_sha256": protocol.digest(), "approved_by": approval},
            )
            run_key = f"{self.spec.name}/{experiment.number}"
            record_single_run(
                session, self.campaign_id, _eid(experiment), protocol, run_key, self.devices
            )
        self.reporter.experiment_started(experiment)
        steps: list[str] = []
        try:
            readings = execute(
                protocol, self.devices, self.clock, run_key, lambda n, s: steps.append(f"{n}. {s}")
            )
            measured = self.loaded.builder.measurements(protocol, readings)
        except DeviceError as exc:
            silent = infrastructure_fault(self.devices, exc, self.involved(protocol))
            if silent is not None:
                self._interrupted(experiment, exc, steps, silent)
            else:
                self._fail(experiment, protocol, exc)
            return
        except (ProtocolError, ExecutionError, KeyError) as exc:
            self._fail(experiment, protocol, exc)
            return
        with self.store.session() as session:
            repo.record_result(session, _eid(experiment), measured, actor=self.actor)
            record_analyses(session, self.campaign_id, protocol, run_key, self.devices)
            for device in protocol.devices():
                lease_repo.record_device_outcome(session, self.loaded.lab.name, device, ok=True)
        self.count_ran(1)
        self.reporter.experiment_finished(experiment, {m.name: m.value for m in measured}, None)

    def out_of_service(self, protocol: Protocol) -> str:
        """Which devices of ``protocol`` are out of service, and why ("" if none)."""
        with self.store.session() as session:
            broken = lease_repo.out_of_service(session, self.loaded.lab.name)
        needed = sorted(set(broken) & protocol.devices())
        if not needed:
            return ""
        return "; ".join(f"device {d} is out of service ({broken[d]})" for d in needed)

    # ---------------------------------------------------------------- helpers
    def experiments(self, statuses: list[ExperimentStatus]) -> list[Experiment]:
        """The campaign's experiments in ``statuses``, in number order."""
        with self.store.session() as session:
            return repo.list_experiments(session, self.campaign_id, statuses)

    def _campaign_status(self) -> str:
        with self.store.session() as session:
            campaign = session.get(Campaign, self.campaign_id)
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
            campaign = session.get(Campaign, self.campaign_id)
            if campaign is not None and campaign.status == "active":
                repo.set_campaign_status(
                    session, campaign, "completed", actor=self.actor, reason=reason
                )
        self.waiting_for = reason

    def _result(self, result: StepResult) -> LoopResult:
        finished = result == StepResult.FINISHED
        return LoopResult(self.spec.name, self.ran, self.cycles, finished, self.waiting_for)


def _eid(experiment: Experiment) -> int:
    assert experiment.id is not None
    return experiment.id


__all__ = ["CampaignLoop", "LoopResult", "StepResult"]
