"""How the loop handles an experiment that must not run or did not work.

Refuse it (abandoned, with the reason), fail it, flag it, count the device, retry it.

:class:`FailureHandling` is mixed into :class:`lab.loop.CampaignLoop` (and
used by :mod:`lab.plate_runs` through it): a device error that is the
experiment's own fails it (counting one failure of the device, which goes out
of service after ``retry.out_of_service_after`` in a row, and queuing a retry
of the same approved design if the policy allows); an infrastructure fault
flags it or puts it back in the queue and waits out the outage (see
:mod:`lab.outages`).
"""

from __future__ import annotations

from sqlmodel import Session

from datastore import Datastore
from datastore import leases as lease_repo
from datastore import repository as repo
from datastore.models import Experiment
from datastore.states import ExperimentStatus
from drivers.errors import DeviceError
from lab.approvals import ApprovalPolicy
from lab.campaigns import LoadedCampaign
from lab.devices import DeviceSet
from lab.learn import budget_used
from lab.outages import OutageWatch, settle_interrupted
from lab.reporting import Reporter
from lab.spec import CampaignSpec
from protocols.protocol import Protocol

_S = ExperimentStatus


class FailureHandling:
    """The failure paths of a campaign loop (attributes set by the loop)."""

    store: Datastore
    loaded: LoadedCampaign
    spec: CampaignSpec
    campaign_id: int
    devices: DeviceSet
    actor: str
    reporter: Reporter
    outages: OutageWatch
    policy: ApprovalPolicy
    ran: int
    _idle_cycles: int

    def count_ran(self, count: int) -> None:
        """Note that ``count`` experiments ran (completed or failed) in this process."""
        self.ran += count
        self._idle_cycles = 0

    def refuse(self, experiment: Experiment, problem: str) -> None:
        """Abandon a queued experiment that must not run, with the reason."""
        with self.store.session() as session:
            repo.transition(
                session,
                _eid(experiment),
                _S.ABANDONED,
                actor=self.actor,
                error=f"refused before running: {problem}",
            )

    def refuse_unapproved(self, experiment: Experiment) -> None:
        """Abandon a queued experiment that has no approval the policy accepts."""
        with self.store.session() as session:
            repo.transition(
                session,
                _eid(experiment),
                _S.ABANDONED,
                actor=self.actor,
                error="refused: no approval record allowed by the "
                f"{self.policy.name!r} policy; it never reached a device",
            )

    def _fail(self, experiment: Experiment, protocol: Protocol, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"
        problems = self.devices.safe_state()
        device = getattr(exc, "device", None)
        with self.store.session() as session:
            repo.transition(
                session,
                _eid(experiment),
                _S.FAILED,
                actor=self.actor,
                error=message,
                payload={"safe_state_errors": problems},
            )
            if device in protocol.devices():
                self.count_device_failure(session, device, message)
            self.maybe_retry(session, experiment, exc)
        self.count_ran(1)
        self.reporter.experiment_finished(experiment, {}, message)

    def _interrupted(
        self, experiment: Experiment, exc: DeviceError, steps: list[str], silent: dict[str, str]
    ) -> None:
        """A device stopped answering mid-run: flag (or requeue) the experiment, wait it out.

        A lost measurement of a device that still answers (``silent`` empty)
        counts as one failure of that device, so a broken exporter takes it out
        of service instead of flagging experiment after experiment.
        """
        self.devices.safe_state()
        with self.store.session() as session:
            settle_interrupted(session, experiment, exc, steps, self.actor)
            if not silent:
                self.count_device_failure(session, exc.device, f"{type(exc).__name__}: {exc}")
        self.reporter.experiment_finished(experiment, {}, f"interrupted by an outage: {exc}")
        if silent:
            self.outages.wait(silent)

    def count_device_failure(self, session: Session, device: str, message: str) -> None:
        """Record a device's failure; take it out of service after too many in a row."""
        lab = self.loaded.lab.name
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
        approvals = repo.approvers(session, _eid(experiment))
        note = {"retry_of": experiment.number, "attempt": experiment.attempt + 1}
        repo.transition(session, _eid(stored), _S.AWAITING_APPROVAL, actor=self.actor, payload=note)
        repo.transition(session, _eid(stored), _S.APPROVED, actor=approvals[-1], payload=note)


def _eid(experiment: Experiment) -> int:
    assert experiment.id is not None
    return experiment.id
