"""Run a batch of queued experiments as one plate, on the ledger and the one executor.

The batch is the campaign's queued experiments up to the plate's capacity
(the loop waits for proposals still awaiting a decision rather than run a
plate half empty). The ledger admits those whose approval the policy accepts
and whose well alone fits the lab; their designs become ONE plate protocol,
which :func:`protocols.plate_compile.compile_plate` pre-flights against the
lab and compiles into robot programs, incubations and reads. A plate that
cannot be built, compiled or run by the executor is refused whole with the
reason before anything is marked running (never charged). Then its devices
are leased, every experiment moves to ``running`` in one transaction, the
operations run under the plate's idempotency key ``<campaign>/plate-<first
experiment number>``, and every experiment is recorded: ``completed`` with its
well's measurements, or ``failed`` when its well gave no reading of an
objective (with the reason). A device error fails every experiment of the
plate, counts one failure of the device, and may queue retries, as for single
experiments.

A plate is physical: after a crash, a plate whose robot run the liquid handler
remembers may be read again; it is never pipetted again (:mod:`lab.running.reconcile`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from datastore.models import Experiment
from drivers.clock import Clock, SystemClock
from lab.builders.capabilities import JudgesPlateOutcomes, PlateBuilder
from lab.devices.assembly import DeviceSet
from lab.devices.lab_spec import LabSpec
from lab.running.batch import BatchOutcome, LedgerRunner, run_on_devices
from lab.running.executor import EXECUTOR, ExecutionError, OnStep, StepRegistry
from lab.running.ledger import Admitted, Outcome, RunEnd
from lab.specs.campaign import CampaignSpec
from planner.space import ParameterValue
from protocols.errors import ProtocolError
from protocols.hte import PlatePlan, plate_well_map
from protocols.operations import Operation, Phase, operation_kinds
from protocols.plate_compile import CompiledPlate, compile_plate, reading_key
from protocols.protocol import Protocol
from protocols.steps import ReadPlate

Readings = dict[str, dict[str, float]]
"""``{well: {quantity: value}}`` (``<labware>/<well>`` when several plates are read)."""


def plate_key(campaign: str, first_number: int) -> str:
    """Idempotency key of the plate whose first experiment is ``first_number``."""
    return f"{campaign}/plate-{first_number}"


def plate_name(campaign: str, first_number: int) -> str:
    """Name of the plate protocol whose first experiment is ``first_number``."""
    return f"{campaign}-plate-{first_number}"


def plate_designs(experiments: Sequence[Experiment]) -> list[tuple[int, dict[str, ParameterValue]]]:
    """``(number, parameters)`` of experiments, in number order: how a plate is built."""
    ordered = sorted(experiments, key=lambda e: e.number)
    return [(e.number, dict(e.parameters)) for e in ordered]


def required_outcomes(spec: CampaignSpec) -> list[str]:
    """What every well must be read for: objectives and outcome constraints."""
    return [o.name for o in spec.objectives] + [c.name for c in spec.outcome_constraints]


def plate_outcomes(
    builder: PlateBuilder,
    protocol: Protocol,
    readings: Mapping[str, Mapping[str, float]],
    required: Sequence[str],
) -> dict[int, Outcome]:
    """Each experiment's measurements, or the reason its well lacks a required reading.

    Raises:
        ProtocolError: A well of the plate was not read at all.
    """
    if isinstance(builder, JudgesPlateOutcomes):
        return builder.plate_outcomes(protocol, readings)
    measured = builder.plate_measurements(protocol, readings)
    wells = plate_well_map(protocol)
    outcomes: dict[int, Outcome] = {}
    for number, values in measured.items():
        missing = [name for name in required if name not in {m.name for m in values}]
        if not missing:
            outcomes[number] = values
            continue
        reported = ", ".join(sorted(readings[wells[number]])) or "nothing"
        outcomes[number] = (
            f"well {wells[number]}: no reading of {', '.join(missing)} (the reader reported "
            f"{reported}); the well holds no reaction the reader could measure"
        )
    return outcomes


def plate_readings(
    protocol: Protocol, outputs: Sequence[tuple[Operation, Mapping[str, Any]]]
) -> Readings:
    """Merge the reads of a plate run into ``{well: {quantity: value}}``."""
    readings: Readings = {}
    for op, found in outputs:
        if isinstance(op.step, ReadPlate):
            labware = op.step.labware
            readings |= {reading_key(protocol, labware, w): dict(v) for w, v in found.items()}
    return readings


def run_phases(
    phases: tuple[Phase, ...],
    protocol: Protocol,
    devices: DeviceSet,
    clock: Clock,
    on_step: OnStep | None = None,
    registry: StepRegistry = EXECUTOR,
) -> Readings:
    """Run a plate's phases through the executor; return the readings of its reads.

    Raises:
        ExecutionError: A kind has no handler (nothing runs).
        DeviceError: A robot run, an incubation or a read failed.
    """
    return plate_readings(protocol, registry.run(phases, devices, clock, on_step))


def run_plate(protocol: Protocol, lab: LabSpec, devices: DeviceSet, key: str) -> Readings:
    """Compile, pipette, incubate and read one plate (as the runner does); return the readings.

    Args:
        protocol: A plate protocol.
        lab: The lab file (each liquid handler's deck, the limits).
        devices: The lab's connected devices.
        key: Idempotency key of this plate; device keys derive from it.

    Raises:
        ProtocolError: The protocol breaks the lab's limits or cannot be compiled.
        DeviceError: The robot run, an incubation or the read failed.
    """
    compiled = compile_plate(protocol, lab.limits(), key)
    return run_phases(compiled.phases, protocol, devices, SystemClock())


class PlateRunner(LedgerRunner[PlateBuilder]):
    """Runs a campaign's queued experiments one plate per batch."""

    batch_name = "plate"

    def capacity(self) -> int:
        """The plate's capacity."""
        return self.builder.plate_capacity()

    def run(self, batch: Sequence[Experiment], device_timeout_s: float | None) -> BatchOutcome:
        """Run one plate of ``batch``, or say why it must wait."""
        ledger = self.ledger
        admitted = ledger.admit(batch[: self.capacity()])
        planned = self._compile(admitted) if admitted else None
        if planned is None:
            return BatchOutcome()
        plan, compiled = planned
        return run_on_devices(
            ledger, self.arbiter, plan.protocol.devices(), device_timeout_s,
            lambda: self._execute(plan, compiled, admitted),
        )  # fmt: skip

    def _compile(self, admitted: Sequence[Admitted]) -> tuple[PlatePlan, CompiledPlate] | None:
        """The plate of ``admitted``, compiled and pre-flighted; ``None`` (all refused) if not."""
        first = admitted[0][0].number
        campaign = self.ledger.spec.name
        try:
            plan = self.builder.build_plate(
                plate_designs([e for e, _ in admitted]), plate_name(campaign, first)
            )
            compiled = compile_plate(plan.protocol, self.ledger.limits, plate_key(campaign, first))
            self.registry.check(operation_kinds(compiled.phases))
        except (ProtocolError, ExecutionError) as exc:
            for experiment, _ in admitted:
                self.ledger.refuse(experiment, f"plate of #{first}: {exc}")
            return None
        return plan, compiled

    def _execute(
        self, plan: PlatePlan, compiled: CompiledPlate, admitted: Sequence[Admitted]
    ) -> RunEnd:
        """Mark the plate running, run it, record each experiment; return how it ended."""
        ledger, protocol = self.ledger, plan.protocol
        experiments = [e for e, _ in admitted]
        ledger.start_plate(compiled, plan.well_map, admitted)

        def work(on_step: OnStep) -> tuple[dict[int, Outcome], Readings]:
            readings = run_phases(
                compiled.phases, protocol, ledger.devices, self.clock, on_step, self.registry
            )
            required = required_outcomes(ledger.spec)
            return plate_outcomes(self.builder, protocol, readings, required), readings

        return self.settle(
            experiments, protocol.devices(), {"plate": compiled.key}, work,
            lambda read: ledger.complete_plate(experiments, compiled, *read),
            (ProtocolError, ExecutionError),
        )  # fmt: skip
