"""Run one queued experiment: a batch of one, on the ledger and the one executor.

The experiment must carry an approval the policy accepts and a protocol that
fits the lab, whose every step kind the executor can run (checked before it is
marked running; otherwise it is refused with the reason and never charged).
Its devices must be in service and free (else the batch waits) and answer a
probe (else the outage is waited out and the experiment stays queued). Then it
is marked ``running`` and its steps run under the key ``<campaign>/<number>``;
the ledger records the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

from datastore.models import Experiment
from datastore.repository import MeasuredValue
from lab.builders.capabilities import DesignBuilder
from lab.running.batch import BatchOutcome, LedgerRunner, run_on_devices
from lab.running.executor import ExecutionError, OnStep
from lab.running.ledger import RunEnd
from protocols.errors import ProtocolError
from protocols.operations import Phase, operation_kinds, protocol_phases
from protocols.protocol import Protocol
from protocols.validation import check_protocol


def run_key(campaign: str, number: int) -> str:
    """Idempotency key of a single experiment's run; its step keys are ``<key>/<n>``."""
    return f"{campaign}/{number}"


class SingleRunner(LedgerRunner[DesignBuilder]):
    """Runs a campaign's queued experiments one at a time."""

    batch_name = "experiment"

    def capacity(self) -> int:
        """One experiment per batch."""
        return 1

    def run(self, batch: Sequence[Experiment], device_timeout_s: float | None) -> BatchOutcome:
        """Run the first experiment of ``batch``, or say why it must wait."""
        experiment = batch[0]
        ledger = self.ledger
        approval = ledger.approval_of(experiment)
        if approval is None:
            ledger.refuse_unapproved(experiment)
            return BatchOutcome()
        key = run_key(ledger.spec.name, experiment.number)
        checked = self._preflight(experiment, key)
        if isinstance(checked, str):
            ledger.refuse(experiment, checked)
            return BatchOutcome()
        protocol, phases = checked
        return run_on_devices(
            ledger, self.arbiter, protocol.devices(), device_timeout_s,
            lambda: self._execute(experiment, protocol, phases, approval, key),
        )  # fmt: skip

    def _preflight(
        self, experiment: Experiment, key: str
    ) -> tuple[Protocol, tuple[Phase, ...]] | str:
        """The protocol and its operations, or why it must not run.

        Limits may have changed since approval, or a person approved an unsafe edit.
        """
        try:
            protocol = self.ledger.protocol_for(experiment)
            check_protocol(protocol, self.ledger.limits)
            phases = protocol_phases(protocol, key)
            self.registry.check(operation_kinds(phases))
        except (ProtocolError, ExecutionError) as exc:
            return str(exc)
        return protocol, phases

    def _execute(
        self,
        experiment: Experiment,
        protocol: Protocol,
        phases: tuple[Phase, ...],
        approval: str,
        key: str,
    ) -> RunEnd:
        """Mark it running, run its steps, record the outcome; return how it ended."""
        self.ledger.start_single(experiment, protocol, approval, key)

        def work(on_step: OnStep) -> list[MeasuredValue]:
            readings: dict[str, float] = {}
            for _, values in self.registry.run(phases, self.ledger.devices, self.clock, on_step):
                readings.update(values)
            return self.builder.measurements(protocol, readings)

        return self.settle(
            [experiment], protocol.devices(), {}, work,
            lambda measured: self.ledger.complete_single(experiment, protocol, measured, key),
            (ProtocolError, ExecutionError, KeyError),
        )  # fmt: skip
