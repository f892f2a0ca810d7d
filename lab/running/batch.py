"""Batch runners: how the loop hands work to the lab. A single experiment is a batch of one.

The loop decides what runs next (up to :meth:`BatchRunner.capacity` queued
experiments) and hands the batch to the runner its builder calls for
(:func:`runner_for`): a plate runner for a builder that builds plates
(:class:`lab.builders.capabilities.PlateBuilder`), a single-experiment runner otherwise
(:func:`lab.running.loop.runner_for`).
Both are built on the :class:`lab.running.ledger.RunLedger` and the one executor,
never on the loop; both compile and pre-flight before anything is marked
running.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from datastore.models import Experiment
from drivers.clock import Clock
from drivers.errors import DeviceError
from lab.running.executor import EXECUTOR, OnStep, StepRegistry
from lab.running.leasing import DeviceArbiter
from lab.running.ledger import RunEnd, RunLedger

B = TypeVar("B")
R = TypeVar("R")


@dataclass(frozen=True)
class BatchOutcome:
    """What running one batch did.

    Attributes:
        ran: Experiments that ran to an outcome (completed or failed) in this process.
        waiting: Why the batch must wait instead (devices busy or out of service), or "".
    """

    ran: int = 0
    waiting: str = ""


class BatchRunner(Protocol):
    """Runs one batch of queued experiments: admit, compile, pre-flight, lease, run, record."""

    @property
    def batch_name(self) -> str:
        """What one batch is called in messages ("plate", "experiment")."""
        ...

    def capacity(self) -> int:
        """How many queued experiments one batch takes."""
        ...

    def run(self, batch: Sequence[Experiment], device_timeout_s: float | None) -> BatchOutcome:
        """Run ``batch`` (queued, in number order), or say why it must wait."""
        ...


def run_on_devices(
    ledger: RunLedger,
    arbiter: DeviceArbiter,
    devices: set[str],
    device_timeout_s: float | None,
    run: Callable[[], RunEnd],
) -> BatchOutcome:
    """Run a pre-flighted batch once its devices are in service, leased and answering.

    A device that does not answer, before the run or during it, is waited out
    after the batch has released its devices, so that the lab's other
    campaigns keep running on the devices that do answer.

    Args:
        ledger: The campaign's ledger (out of service, probes, outages).
        arbiter: Leases devices among the lab's campaigns.
        devices: The devices the batch drives.
        device_timeout_s: Give up waiting for busy devices after this long.
        run: Marks the batch running, runs it and records it; returns how many
            ran and the devices it found silent.

    Returns:
        How many experiments ran, or why the batch waits (it then stays queued).

    Raises:
        DeviceOutageError: A device stayed silent past the lab's ``outage_timeout_s``.
    """
    broken = ledger.out_of_service(devices)
    if broken:
        return BatchOutcome(waiting=broken)
    with arbiter.hold(
        devices, ledger.spec.priority, ledger.campaign_id, device_timeout_s
    ) as granted:
        if not granted:
            return BatchOutcome(waiting="devices busy: " + ", ".join(sorted(devices)))
        silent = ledger.silent(devices)  # a silent device: the batch stays queued
        end = RunEnd(ran=0, silent=silent) if silent else run()
    if end.silent:
        ledger.wait_out(end.silent)
    return BatchOutcome(ran=end.ran)


@dataclass(eq=False)
class LedgerRunner(Generic[B]):
    """What every batch runner holds, and how it settles a run that started.

    Attributes:
        ledger: The campaign's ledger (admission, state changes, failures, retries).
        builder: The campaign's builder (a plate builder for plates).
        clock: Waits of the run (virtual for simulated labs).
        arbiter: Leases devices among the lab's campaigns.
        registry: Runs each operation kind (the one executor by default).
    """

    ledger: RunLedger
    builder: B
    clock: Clock
    arbiter: DeviceArbiter
    registry: StepRegistry = EXECUTOR

    def settle(
        self,
        experiments: Sequence[Experiment],
        devices: set[str],
        where: Mapping[str, Any],
        work: Callable[[OnStep], R],
        record: Callable[[R], int],
        failures: tuple[type[Exception], ...],
    ) -> RunEnd:
        """Do ``work`` (the run, told of each step) and ``record`` its result, or settle its error.

        Args:
            experiments: The experiments the run runs (already ``running``).
            devices: The devices it drives.
            where: What the failure events name besides the error (the plate's key).
            work: Runs the operations and reads the outcomes.
            record: Records what ``work`` returned; returns how many experiments ran.
            failures: Errors, besides device errors, that fail every experiment.

        Returns:
            How many experiments ran (0 when an outage interrupted them), and
            the devices found silent.
        """
        steps: list[str] = []
        try:
            result = work(lambda number, step: steps.append(f"{number}. {step}"))
        except DeviceError as exc:
            return self.ledger.device_error(experiments, devices, exc, steps, where)
        except failures as exc:
            return RunEnd(ran=self.ledger.fail(experiments, devices, exc, where))
        return RunEnd(ran=record(result))
