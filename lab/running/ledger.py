"""The run ledger: every decision and record about running a batch, in one place.

Both batch runners (a single experiment, a plate) and crash recovery go
through it: which experiments may run (an approval the policy accepts, a
protocol that fits the lab), refusals (``abandoned`` with the reason), devices
out of service, the move to ``running`` (with the protocol's provenance, before
any device command), the outcome (``completed`` with measurements, ``failed``
with the reason, ``needs_attention`` when infrastructure interrupted it), the
counting of a device's failures (out of service after
``retry.out_of_service_after`` in a row) and retries of the same approved
design. It holds what it needs explicitly and knows nothing of the loop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datastore import Datastore, Session
from datastore import leases as lease_repo
from datastore import repository as repo
from datastore.models import Experiment
from datastore.repository import MeasuredValue
from datastore.states import ExperimentStatus
from drivers.errors import DeviceError
from lab.builders.capabilities import DesignBuilder
from lab.devices.assembly import DeviceSet
from lab.devices.lab_spec import LabSpec
from lab.running.approvals import ApprovalPolicy
from lab.running.learn import INFRASTRUCTURE_MARK, budget_used
from lab.running.outages import (
    OutageWatch,
    devices_involved,
    infrastructure_fault,
    settle_interrupted,
    silent_devices,
)
from lab.running.provenance_capture import (
    record_analyses,
    record_plate_readings,
    record_plate_run,
    record_single_run,
)
from lab.running.reporting import Reporter
from lab.specs.campaign import CampaignSpec
from protocols.errors import ProtocolError
from protocols.plate_compile import CompiledPlate
from protocols.protocol import Protocol
from protocols.validation import DeviceLimits, check_protocol

_S = ExperimentStatus
Admitted = tuple[Experiment, str]
"""An experiment allowed to run, and the actor whose approval lets it run."""
Outcome = list[MeasuredValue] | str
"""An experiment's measurements, or why it has none."""


@dataclass(frozen=True)
class RunEnd:
    """How a run that started ended, as the ledger recorded it.

    Attributes:
        ran: Experiments that ran to an outcome (completed or failed); 0 when
            an outage interrupted them.
        silent: Devices that stopped answering during the run, with their last
            error; to be waited out once the batch has released its devices
            (:meth:`RunLedger.wait_out`).
    """

    ran: int
    silent: Mapping[str, str] = field(default_factory=dict)


def eid(experiment: Experiment) -> int:
    """The stored id of ``experiment``."""
    assert experiment.id is not None
    return experiment.id


def record_outcomes(
    session: Session, experiments: Sequence[Experiment], outcomes: Mapping[int, Outcome], actor: str
) -> None:
    """Move each running experiment to ``completed`` (measurements) or ``failed`` (reason)."""
    for experiment in experiments:
        outcome = outcomes[experiment.number]
        if isinstance(outcome, str):
            repo.transition(session, eid(experiment), _S.FAILED, actor=actor, error=outcome)
        else:
            repo.record_result(session, eid(experiment), outcome, actor=actor)


def flag_interrupted(session: Session, experiment: Experiment, actor: str, error: str) -> None:
    """Flag a running experiment for a person, marked as interrupted by infrastructure.

    The mark keeps it out of the budget until a person settles it.
    """
    repo.transition(session, eid(experiment), _S.NEEDS_ATTENTION, actor=actor, error=error)
    repo.append_event(
        session,
        experiment.campaign_id,
        INFRASTRUCTURE_MARK,
        actor=actor,
        experiment_id=experiment.id,
        payload={"cause": "the orchestrator stopped while it ran"},
    )


def mark_reconciled(
    session: Session, experiment: Experiment, actor: str, payload: Mapping[str, Any]
) -> None:
    """Note that a crash-interrupted experiment was settled from device records."""
    repo.append_event(
        session,
        experiment.campaign_id,
        "reconciled",
        actor=actor,
        experiment_id=experiment.id,
        payload=dict(payload),
    )


@dataclass
class RunLedger:
    """Approvals, refusals, state changes, device failures and retries of one campaign's runs.

    Attributes:
        store: The datastore.
        campaign_id: The campaign.
        spec: The campaign file (name, budget, retry policy).
        lab: The lab file (name, device limits).
        builder: Builds each design's protocol (to check it before it runs).
        devices: The lab's connected devices.
        policy: Who may approve.
        actor: Name recorded on events.
        reporter: Progress sink.
        outages: Waits out devices that stop answering.
    """

    store: Datastore
    campaign_id: int
    spec: CampaignSpec
    lab: LabSpec
    builder: DesignBuilder
    devices: DeviceSet
    policy: ApprovalPolicy
    actor: str
    reporter: Reporter
    outages: OutageWatch
    limits: dict[str, DeviceLimits] = field(init=False)

    def __post_init__(self) -> None:
        self.limits = self.lab.limits()

    # ------------------------------------------------------- approval checks
    def protocol_for(self, experiment: Experiment) -> Protocol:
        """Build the protocol of one experiment."""
        return self.builder.build(
            experiment.parameters, name=f"{self.spec.name}#{experiment.number}"
        )

    def protocol_problem(self, experiment: Experiment) -> str | None:
        """Why the experiment's protocol cannot run on this lab, or ``None``."""
        try:
            check_protocol(self.protocol_for(experiment), self.limits)
        except ProtocolError as exc:
            return str(exc)
        return None

    def approval_of(self, experiment: Experiment) -> str | None:
        """The actor whose approval lets this experiment run under the policy, if any."""
        with self.store.session() as session:
            approvers = repo.approvers(session, eid(experiment))
        allowed = [a for a in approvers if self.policy.may_approve(a)]
        return allowed[-1] if allowed else None

    def admit(self, batch: Sequence[Experiment]) -> list[Admitted]:
        """The experiments of ``batch`` allowed to run; the others are refused with the reason."""
        admitted = []
        for experiment in batch:
            approval = self.approval_of(experiment)
            if approval is None:
                self.refuse_unapproved(experiment)
                continue
            problem = self.protocol_problem(experiment)
            if problem:  # limits may have changed, or a person approved an unsafe edit
                self.refuse(experiment, problem)
                continue
            admitted.append((experiment, approval))
        return admitted

    def refuse(self, experiment: Experiment, problem: str) -> None:
        """Abandon a queued experiment that must not run, with the reason (never charged)."""
        self._abandon(experiment, f"refused before running: {problem}")

    def refuse_unapproved(self, experiment: Experiment) -> None:
        """Abandon a queued experiment that has no approval the policy accepts."""
        self._abandon(
            experiment,
            f"refused: no approval record allowed by the {self.policy.name!r} policy; "
            "it never reached a device",
        )

    def _abandon(self, experiment: Experiment, error: str) -> None:
        with self.store.session() as session:
            repo.transition(session, eid(experiment), _S.ABANDONED, actor=self.actor, error=error)

    # ---------------------------------------------------------------- devices
    def out_of_service(self, devices: Iterable[str]) -> str:
        """Which of ``devices`` are out of service, and why ("" if none)."""
        with self.store.session() as session:
            broken = lease_repo.out_of_service(session, self.lab.name)
        needed = sorted(set(broken) & set(devices))
        return "; ".join(f"device {d} is out of service ({broken[d]})" for d in needed)

    def involved(self, devices: Iterable[str]) -> set[str]:
        """``devices`` with those they drive themselves (see :func:`devices_involved`)."""
        return devices_involved(self.lab, devices)

    def silent(self, devices: Iterable[str]) -> dict[str, str]:
        """Probe the devices (and those they drive): the silent ones, with their last error."""
        return silent_devices(self.devices, self.involved(devices))

    def wait_out(self, silent: Mapping[str, str]) -> None:
        """Pause the campaign until ``silent`` devices answer (see :mod:`lab.running.outages`).

        Call it with no devices held: other campaigns keep the lab's other
        devices (and may try the silent ones) while this one waits.

        Raises:
            DeviceOutageError: A device stayed silent past the lab's ``outage_timeout_s``.
        """
        self.outages.wait(dict(silent))

    # ---------------------------------------------------------------- running
    def start_single(
        self, experiment: Experiment, protocol: Protocol, approval: str, run_key: str
    ) -> None:
        """Mark one experiment ``running`` with its protocol's provenance, before any command."""
        with self.store.session() as session:
            repo.transition(
                session,
                eid(experiment),
                _S.RUNNING,
                actor=self.actor,
                payload={"protocol_sha256": protocol.digest(), "approved_by": approval},
            )
            record_single_run(
                session, self.campaign_id, eid(experiment), protocol, run_key, self.devices
            )
        self.reporter.experiment_started(experiment)

    def complete_single(
        self, experiment: Experiment, protocol: Protocol, measured: list[MeasuredValue], key: str
    ) -> int:
        """Record a finished experiment's measurements and its analyzers' raw files."""
        with self.store.session() as session:
            repo.record_result(session, eid(experiment), measured, actor=self.actor)
            record_analyses(session, self.campaign_id, protocol, key, self.devices)
            self.succeeded(session, protocol.devices())
        self.report([experiment], {experiment.number: measured})
        return 1

    def start_plate(
        self, plate: CompiledPlate, well_map: Mapping[int, str], admitted: Sequence[Admitted]
    ) -> None:
        """Every experiment of the plate to ``running``, in one transaction, before any command.

        Each event names the plate, its protocol's sha256, the experiment's well and its approver.
        """
        digest = plate.protocol.digest()
        with self.store.session() as session:
            numbers = {e.number: eid(e) for e, _ in admitted}
            record_plate_run(session, self.campaign_id, plate, well_map, numbers, self.devices)
            for experiment, approval in admitted:
                payload = {
                    "protocol_sha256": digest,
                    "plate": plate.key,
                    "well": well_map[experiment.number],
                    "approved_by": approval,
                }
                repo.transition(
                    session, eid(experiment), _S.RUNNING, actor=self.actor, payload=payload
                )
        for experiment, _ in admitted:
            self.reporter.experiment_started(experiment)

    def complete_plate(
        self,
        experiments: Sequence[Experiment],
        plate: CompiledPlate,
        outcomes: Mapping[int, Outcome],
        readings: Mapping[str, Mapping[str, float]],
    ) -> int:
        """Record each experiment of a read plate, and the readers' exports."""
        with self.store.session() as session:
            record_outcomes(session, experiments, outcomes, self.actor)
            record_plate_readings(session, self.campaign_id, plate.protocol, plate.key, readings)
            self.succeeded(session, plate.protocol.devices())
        self.report(experiments, outcomes)
        return len(experiments)

    # ---------------------------------------------------------------- outcomes
    def succeeded(self, session: Session, devices: Iterable[str]) -> None:
        """Record one good outcome of each device (resetting its failure count)."""
        for device in devices:
            lease_repo.record_device_outcome(session, self.lab.name, device, ok=True)

    def report(self, experiments: Sequence[Experiment], outcomes: Mapping[int, Outcome]) -> None:
        """Tell the reporter how each experiment ended."""
        for experiment in experiments:
            outcome = outcomes[experiment.number]
            if isinstance(outcome, str):
                self.reporter.experiment_finished(experiment, {}, outcome)
            else:
                values = {m.name: m.value for m in outcome}
                self.reporter.experiment_finished(experiment, values, None)

    def device_error(
        self,
        experiments: Sequence[Experiment],
        devices: set[str],
        exc: DeviceError,
        steps: list[str],
        where: Mapping[str, Any],
    ) -> RunEnd:
        """Settle a run a device error ended: interrupted (infrastructure) or failed.

        Returns:
            How many experiments ran (failed; none when infrastructure
            interrupted them), and the devices found silent.
        """
        silent = infrastructure_fault(self.devices, exc, self.involved(devices))
        if silent is None:
            return RunEnd(ran=self.fail(experiments, devices, exc, where))
        self.interrupted(experiments, exc, steps, silent, where)
        return RunEnd(ran=0, silent=silent)

    def fail(
        self,
        experiments: Sequence[Experiment],
        devices: set[str],
        exc: Exception,
        where: Mapping[str, Any],
    ) -> int:
        """Fail every experiment of a run; count the device's failure once; maybe retry.

        Returns:
            How many experiments ran (all of them failed).
        """
        message = f"{type(exc).__name__}: {exc}"
        problems = self.devices.safe_state()
        device = exc.device if isinstance(exc, DeviceError) else None
        payload = {**where, "safe_state_errors": problems}
        with self.store.session() as session:
            for experiment in experiments:
                repo.transition(
                    session,
                    eid(experiment),
                    _S.FAILED,
                    actor=self.actor,
                    error=message,
                    payload=payload,
                )
            if device in devices:
                self.count_device_failure(session, device, message)
            for experiment in experiments:
                self.maybe_retry(session, experiment, exc)
        for experiment in experiments:
            self.reporter.experiment_finished(experiment, {}, message)
        return len(experiments)

    def interrupted(
        self,
        experiments: Sequence[Experiment],
        exc: DeviceError,
        steps: list[str],
        silent: dict[str, str],
        where: Mapping[str, Any],
    ) -> None:
        """A device stopped answering mid-run: flag (or requeue) the experiments.

        The ``silent`` devices are the caller's to wait out, once the batch has
        released its devices (see :meth:`device_error`).

        A lost measurement of a device that still answers (``silent`` empty)
        counts as one failure of that device, so a broken exporter takes it out
        of service instead of flagging experiment after experiment.
        """
        self.devices.safe_state()
        with self.store.session() as session:
            for experiment in experiments:
                settle_interrupted(session, experiment, exc, steps, self.actor, where or None)
            if not silent:
                self.count_device_failure(session, exc.device, f"{type(exc).__name__}: {exc}")
        for experiment in experiments:
            self.reporter.experiment_finished(experiment, {}, f"interrupted by an outage: {exc}")

    def count_device_failure(self, session: Session, device: str, message: str) -> None:
        """Record a device's failure; take it out of service after too many in a row."""
        lab = self.lab.name
        state = lease_repo.record_device_outcome(session, lab, device, ok=False, note=message)
        if state.in_service and state.consecutive_failures >= self.spec.retry.out_of_service_after:
            note = (
                f"out of service after {state.consecutive_failures} consecutive failures; "
                f"last: {message}"
            )
            lease_repo.set_in_service(session, lab, device, False, note)
            repo.append_event(
                session,
                self.campaign_id,
                "device_out_of_service",
                actor=self.actor,
                payload={"lab": lab, "device": device, "note": note},
            )
            self.reporter.alert(
                f"device {device} of lab {lab} is out of service: {note}. "
                f"Put it back with `dbtl lab service {lab} {device} --on`"
            )

    def maybe_retry(self, session: Session, experiment: Experiment, exc: Exception) -> None:
        """Queue the same approved design again, if the retry policy allows and budget remains.

        The retry carries the original approval (recorded with the approver's name and
        ``retry_of``): the design a person approved is exactly what runs again.
        """
        if not isinstance(exc, DeviceError) or experiment.attempt >= self.spec.retry.max_attempts:
            return
        if budget_used(session, self.campaign_id) >= self.spec.budget:
            return
        campaign = repo.get_campaign(session, self.spec.name)
        retry = repo.NewExperiment(
            experiment.parameters,
            experiment.predicted,
            attempt=experiment.attempt + 1,
            retry_of=experiment.number,
        )
        (stored,) = repo.add_proposals(
            session, campaign, experiment.cycle, [retry], None, actor=self.actor
        )
        approvals = repo.approvers(session, eid(experiment))
        note = {"retry_of": experiment.number, "attempt": experiment.attempt + 1}
        repo.transition(session, eid(stored), _S.AWAITING_APPROVAL, actor=self.actor, payload=note)
        repo.transition(session, eid(stored), _S.APPROVED, actor=approvals[-1], payload=note)
