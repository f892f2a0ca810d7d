"""Run a campaign's queued experiments a plate at a time, for builders that build plates.

One step of a plate campaign takes the campaign's queued experiments (up to
the plate's capacity), keeps those whose approval the policy accepts and
whose well alone fits the lab, builds ONE plate protocol and validates it
against the lab's limits, leases its devices, and moves every experiment of
the plate to ``running`` in one transaction (each event names the plate, its
protocol's sha256, the experiment's well and its approver). Then the plate is
pipetted and read under the idempotency key ``<campaign>/plate-<first
experiment number>``, and every experiment is recorded: ``completed`` with
its well's measurements, or ``failed`` when its well gave no reading of an
objective (with the reason). A device error fails every experiment of the
plate, counts one failure of the device, and may queue retries as for single
experiments.

While proposals of the campaign still await a person's decision, a plate that
is not full waits for them rather than running half empty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, runtime_checkable
from typing import Protocol as TypingProtocol

from datastore import leases as lease_repo
from datastore import repository as repo
from datastore.models import Experiment
from datastore.repository import MeasuredValue
from datastore.states import ExperimentStatus
from drivers.errors import DeviceError
from lab.capabilities import BuildsPlates
from lab.outages import infrastructure_fault, settle_interrupted
from lab.plates import (
    dispense_plate,
    incubate_plate,
    plate_handlers,
    plate_incubators,
    read_plate,
)
from lab.provenance_capture import record_plate_readings, record_plate_run
from lab.spec import CampaignSpec
from planner.space import ParameterValue
from protocols.errors import ProtocolError
from protocols.hte import PlatePlan, plate_well_map
from protocols.protocol import Protocol
from protocols.validation import check_protocol

if TYPE_CHECKING:
    from sqlmodel import Session

    from lab.loop import CampaignLoop

_S = ExperimentStatus
Admitted = tuple[Experiment, str]
"""An experiment allowed on a plate, and the actor whose approval lets it run."""
Outcome = list[MeasuredValue] | str
"""An experiment's measurements, or why its well gave none."""


@runtime_checkable
class PlateBuilder(BuildsPlates, TypingProtocol):
    """A builder that runs a batch of designs as one plate and reads each well's outcome."""

    def build_plate(
        self, designs: Sequence[tuple[int, Mapping[str, ParameterValue]]], name: str
    ) -> PlatePlan:
        """Return the plate protocol of ``(experiment number, design)`` pairs."""
        ...

    def plate_measurements(
        self, protocol: Protocol, readings: Mapping[str, Mapping[str, float]]
    ) -> dict[int, list[MeasuredValue]]:
        """Turn ``{well: {quantity: value}}`` into each experiment's measurements."""
        ...


@runtime_checkable
class OutcomeBuilder(TypingProtocol):
    """A plate builder that judges each experiment's readings itself (replicates, controls)."""

    def plate_outcomes(
        self, protocol: Protocol, readings: Mapping[str, Mapping[str, float]]
    ) -> dict[int, list[MeasuredValue] | str]:
        """Each experiment's measurements, or the reason it has none."""
        ...


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
    if isinstance(builder, OutcomeBuilder):
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


def record_outcomes(
    session: Session, experiments: Sequence[Experiment], outcomes: Mapping[int, Outcome], actor: str
) -> None:
    """Move each running experiment to ``completed`` (measurements) or ``failed`` (reason)."""
    for experiment in experiments:
        outcome = outcomes[experiment.number]
        if isinstance(outcome, str):
            repo.transition(session, _eid(experiment), _S.FAILED, actor=actor, error=outcome)
        else:
            repo.record_result(session, _eid(experiment), outcome, actor=actor)


class PlateRuns:
    """Runs the queued experiments of one campaign loop, one plate per step."""

    def __init__(self, loop: CampaignLoop, builder: PlateBuilder) -> None:
        self.loop = loop
        self.builder = builder

    def run(self, queued: Sequence[Experiment], device_timeout_s: float | None) -> str | None:
        """Run one plate of ``queued`` experiments; return why it must wait instead, if it must."""
        loop = self.loop
        held = loop.experiments([_S.AWAITING_APPROVAL])
        capacity = self.builder.plate_capacity()
        if held and len(queued) < capacity:
            numbers = ", ".join(f"#{e.number}" for e in held)
            return (
                f"a plate of {len(queued)} approved experiment(s) waits for decisions on "
                f"{len(held)} more ({numbers}); see `dbtl review --campaign {loop.spec.name}`"
            )
        admitted = self._admit(queued[:capacity])
        plan = self._plan(admitted) if admitted else None
        if plan is None:
            return None
        devices = plan.protocol.devices()
        broken = loop.out_of_service(plan.protocol)
        if broken:
            return broken
        with loop.arbiter.hold(
            devices, loop.spec.priority, loop.campaign_id, device_timeout_s
        ) as granted:
            if not granted:
                return "devices busy: " + ", ".join(sorted(devices))
            if loop.devices_answer(plan.protocol):
                self._execute(plan, admitted)
        return None

    def _admit(self, batch: Sequence[Experiment]) -> list[Admitted]:
        """Experiments allowed on the plate; the others are refused (abandoned) with the reason."""
        admitted = []
        for experiment in batch:
            approval = self.loop.approval_of(experiment)
            if approval is None:
                self.loop.refuse_unapproved(experiment)
                continue
            problem = self.loop.protocol_problem(experiment)
            if problem:
                self.loop.refuse(experiment, problem)
                continue
            admitted.append((experiment, approval))
        return admitted

    def _plan(self, admitted: Sequence[Admitted]) -> PlatePlan | None:
        """The plate of ``admitted``, checked against the lab; ``None`` if it cannot run."""
        first = admitted[0][0].number
        try:
            plan = self.builder.build_plate(
                plate_designs([e for e, _ in admitted]), plate_name(self.loop.spec.name, first)
            )
            check_protocol(plan.protocol, self.loop.limits)
        except ProtocolError as exc:
            for experiment, _ in admitted:
                self.loop.refuse(experiment, f"plate of #{first}: {exc}")
            return None
        return plan

    def _execute(self, plan: PlatePlan, admitted: Sequence[Admitted]) -> None:
        loop = self.loop
        experiments = [e for e, _ in admitted]
        key = plate_key(loop.spec.name, experiments[0].number)
        self._start(plan, admitted, key)
        for experiment in experiments:
            loop.reporter.experiment_started(experiment)
        steps: list[str] = []
        try:
            steps.append(f"1. pipette plate {key} ({', '.join(plate_handlers(plan.protocol))})")
            dispense_plate(plan.protocol, loop.loaded.lab, loop.devices, key)
            if incubations := plate_incubators(plan.protocol):
                steps.append(f"{len(steps) + 1}. incubate plate {key} ({', '.join(incubations)})")
                incubate_plate(plan.protocol, loop.devices, key)
            steps.append(f"{len(steps) + 1}. read plate {key}")
            readings = read_plate(plan.protocol, loop.devices, key)
            outcomes = plate_outcomes(
                self.builder, plan.protocol, readings, required_outcomes(loop.spec)
            )
        except DeviceError as exc:
            silent = infrastructure_fault(loop.devices, exc, loop.involved(plan.protocol))
            if silent is not None:
                self._interrupted(experiments, key, exc, steps, silent)
            else:
                self._fail(plan, experiments, key, exc)
            return
        except ProtocolError as exc:
            self._fail(plan, experiments, key, exc)
            return
        with loop.store.session() as session:
            record_outcomes(session, experiments, outcomes, loop.actor)
            record_plate_readings(session, loop.campaign_id, plan.protocol, key, readings)
            for device in plan.protocol.devices():
                lease_repo.record_device_outcome(session, loop.loaded.lab.name, device, ok=True)
        loop.count_ran(len(experiments))
        self._report(experiments, outcomes)

    def _report(self, experiments: Sequence[Experiment], outcomes: Mapping[int, Outcome]) -> None:
        for experiment in experiments:
            outcome = outcomes[experiment.number]
            if isinstance(outcome, str):
                self.loop.reporter.experiment_finished(experiment, {}, outcome)
            else:
                values = {m.name: m.value for m in outcome}
                self.loop.reporter.experiment_finished(experiment, values, None)

    def _start(self, plan: PlatePlan, admitted: Sequence[Admitted], key: str) -> None:
        """Every experiment of the plate to ``running``, in one transaction, before any command."""
        digest = plan.protocol.digest()
        loop = self.loop
        with self.loop.store.session() as session:
            numbers = {e.number: _eid(e) for e, _ in admitted}
            record_plate_run(
                session, loop.campaign_id, plan, numbers, key, loop.loaded.lab, loop.devices
            )
            for experiment, approval in admitted:
                payload = {
                    "protocol_sha256": digest,
                    "plate": key,
                    "well": plan.well_map[experiment.number],
                    "approved_by": approval,
                }
                repo.transition(
                    session, _eid(experiment), _S.RUNNING, actor=self.loop.actor, payload=payload
                )

    def _interrupted(
        self,
        experiments: Sequence[Experiment],
        key: str,
        exc: DeviceError,
        steps: list[str],
        silent: dict[str, str],
    ) -> None:
        """A device stopped answering during the plate: flag (or requeue) all of it, wait it out."""
        loop = self.loop
        loop.devices.safe_state()
        with loop.store.session() as session:
            for experiment in experiments:
                settle_interrupted(session, experiment, exc, steps, loop.actor, {"plate": key})
            if not silent:  # a lost read of a reader that answers: count it (see the loop)
                loop.count_device_failure(session, exc.device, f"{type(exc).__name__}: {exc}")
        for experiment in experiments:
            loop.reporter.experiment_finished(experiment, {}, f"interrupted by an outage: {exc}")
        if silent:
            loop.outages.wait(silent)

    def _fail(
        self, plan: PlatePlan, experiments: Sequence[Experiment], key: str, exc: Exception
    ) -> None:
        """Fail every experiment of the plate; count the device's failure once; maybe retry."""
        loop = self.loop
        message = f"{type(exc).__name__}: {exc}"
        problems = loop.devices.safe_state()
        device = getattr(exc, "device", None)
        with loop.store.session() as session:
            for experiment in experiments:
                repo.transition(
                    session,
                    _eid(experiment),
                    _S.FAILED,
                    actor=loop.actor,
                    error=message,
                    payload={"plate": key, "safe_state_errors": problems},
                )
            if device in plan.protocol.devices():
                loop.count_device_failure(session, device, message)
            for experiment in experiments:
                loop.maybe_retry(session, experiment, exc)
        loop.count_ran(len(experiments))
        for experiment in experiments:
            loop.reporter.experiment_finished(experiment, {}, message)


def _eid(experiment: Experiment) -> int:
    assert experiment.id is not None
    return experiment.id
