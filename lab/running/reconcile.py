"""After a crash: settle experiments that were running when the process died.

For each experiment left ``running``, the devices are asked whether they
still hold its result (an analyzer that kept the analysis run under the
step's idempotency key). If every measurement step can be recalled, the
experiment is completed from the instrument's record; otherwise it is flagged
``needs_attention`` for a person (marked as interrupted by infrastructure, so
it does not count in the budget until settled). It is never silently re-run.

Experiments that ran on a plate are settled a plate at a time. If every liquid
handler of the plate remembers its run by key (waiting, if a clock is given,
for a run the robot is still executing) and that run succeeded, the plate was
pipetted: it is read again (a plate is physical; reading it twice is
legitimate, pipetting it twice is not) and its experiments are recorded as
the loop would have recorded them. Otherwise every experiment of the plate is
flagged. A plate is never pipetted again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Experiment
from datastore.states import ExperimentStatus
from drivers.analyzer import Analyzer
from drivers.clock import Clock, SystemClock
from drivers.errors import DeviceError
from drivers.incubator import Incubator
from drivers.liquid_handler import TERMINAL_STATUSES, LiquidHandler, RunReport
from drivers.station import Station
from lab.builders.capabilities import PlateBuilder
from lab.devices.assembly import DeviceSet
from lab.running.campaigns import LoadedCampaign
from lab.running.ledger import flag_interrupted, mark_reconciled, record_outcomes
from lab.running.plate_runner import (
    plate_designs,
    plate_name,
    plate_outcomes,
    required_outcomes,
    run_phases,
)
from lab.running.provenance_capture import record_analyses, record_plate_readings
from lab.running.single_runner import run_key
from protocols.errors import ProtocolError
from protocols.operations import protocol_phases
from protocols.plate_compile import handler_run_key, incubation_key, plate_handlers, read_phase
from protocols.protocol import Protocol
from protocols.steps import Incubate, Measure, RunConditions

INTERRUPTED = (
    "interrupted: the orchestrator stopped while this experiment was running; its outcome is "
    "unknown to the devices and it was not re-run"
)
RECALL_POLL_S = 2.0
"""Seconds between asks to a robot still executing a remembered run."""
EXECUTING = frozenset({"running", "finishing", "stop-requested"})
"""Run statuses that end on their own: worth waiting for. An idle run was never
started; a paused or blocked one waits for a person: neither is waited for."""


class PlateUnknownError(Exception):
    """The devices cannot tell what became of a plate."""


@dataclass
class RecoveryOutcome:
    """Numbers of the experiments settled from device records, and of those flagged.

    ``completed`` lists experiments whose results were recovered; ``failed``
    those whose plate was re-read but whose well gave no reading.
    """

    completed: list[int] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def recall_readings(
    protocol: Protocol, devices: DeviceSet, key_of_run: str
) -> dict[str, float] | None:
    """Every measurement of a run, recalled from the analyzers, or ``None`` if any is unknown."""
    readings: dict[str, float] = {}
    measured = False
    phases = protocol_phases(protocol, key_of_run)  # the keys the run's steps carried
    for step, key in ((op.step, op.key) for phase in phases for op in phase.operations):
        if not isinstance(step, Measure | RunConditions):
            continue
        try:
            if isinstance(step, Measure):
                values = devices.get(step.device, Analyzer).recall(key)
            else:
                values = devices.get(step.device, Station).recall(key, step.conditions)
        except DeviceError:
            return None
        if values is None:
            return None
        readings.update(values)
        measured = True
    return readings if measured else None


def reconcile_running(
    store: Datastore,
    loaded: LoadedCampaign,
    campaign_id: int,
    devices: DeviceSet,
    actor: str,
    clock: Clock | None = None,
) -> RecoveryOutcome:
    """Complete (from device records) or flag every experiment a crash left running.

    Args:
        store: The datastore.
        loaded: The campaign and its lab.
        campaign_id: Which campaign.
        devices: The lab's connected devices.
        actor: Name recorded on events.
        clock: To wait for a robot still executing a remembered plate run;
            without it such a plate is flagged.
    """
    outcome = RecoveryOutcome()
    with store.session() as session:
        stuck = repo.list_experiments(session, campaign_id, [ExperimentStatus.RUNNING])
    if isinstance(loaded.builder, PlateBuilder):
        for key, members in _plates_of(store, campaign_id, stuck).items():
            _settle_plate(
                store, loaded, loaded.builder, key, members, devices, actor, clock, outcome
            )
        return outcome
    for experiment in stuck:
        if _complete_from_devices(store, loaded, experiment, devices, actor):
            outcome.completed.append(experiment.number)
        else:
            _flag(store, experiment, actor)
            outcome.flagged.append(experiment.number)
    outcome.completed += settle_late_reports(store, loaded, campaign_id, devices, actor)
    return outcome


def _complete_from_devices(
    store: Datastore,
    loaded: LoadedCampaign,
    experiment: Experiment,
    devices: DeviceSet,
    actor: str,
    source: str = "device records after a crash",
) -> bool:
    try:
        protocol = loaded.builder.build(
            experiment.parameters, name=f"{loaded.spec.name}#{experiment.number}"
        )
    except ProtocolError:
        return False
    key = run_key(loaded.spec.name, experiment.number)
    readings = recall_readings(protocol, devices, key)
    if readings is None:
        return False
    try:
        measured = loaded.builder.measurements(protocol, readings)
    except (KeyError, ProtocolError):
        return False
    with store.session() as session:
        repo.record_result(session, experiment.id or 0, measured, actor=actor)
        record_analyses(session, experiment.campaign_id, protocol, key, devices)
        mark_reconciled(session, experiment, actor, {"source": source})
    return True


LATE_REPORT = "an instrument report that appeared after the experiment was flagged"


def settle_late_reports(
    store: Datastore, loaded: LoadedCampaign, campaign_id: int, devices: DeviceSet, actor: str
) -> list[int]:
    """Complete experiments flagged interrupted whose instrument report has since appeared.

    An experiment a crash left without a result is flagged ``needs_attention``
    (:data:`INTERRUPTED`); when its analysis report turns up later (the data
    system finished after the orchestrator died), the next reconcile settles
    it from that report exactly as the run path would have: the measurements,
    a ``reconciled`` event, and the report as a raw instrument record. It is
    never re-run. Experiments flagged for other reasons are left to a person.

    Returns:
        Numbers of the experiments completed.
    """
    with store.session() as session:
        flagged = repo.list_experiments(session, campaign_id, [ExperimentStatus.NEEDS_ATTENTION])
    settled = []
    for experiment in flagged:
        if experiment.error == INTERRUPTED and _complete_from_devices(
            store, loaded, experiment, devices, actor, source=LATE_REPORT
        ):
            settled.append(experiment.number)
    return settled


def _flag(store: Datastore, experiment: Experiment, actor: str, error: str = INTERRUPTED) -> None:
    """Flag for a person, marked as interrupted by infrastructure (not counted in the budget)."""
    with store.session() as session:
        flag_interrupted(session, experiment, actor, error)


# ------------------------------------------------------------------- plates


@dataclass
class _RunningPlate:
    """The experiments of one plate left running, and the protocol digest they ran under."""

    digests: set[str] = field(default_factory=set)
    experiments: list[Experiment] = field(default_factory=list)


def _plates_of(
    store: Datastore, campaign_id: int, stuck: Sequence[Experiment]
) -> dict[str, _RunningPlate]:
    """Group running experiments by the plate named in their ``running`` event."""
    ids = {e.id for e in stuck}
    with store.session() as session:
        started = {
            event.experiment_id: event.payload
            for event in repo.list_events(session, campaign_id)
            if event.experiment_id in ids and event.to_status == ExperimentStatus.RUNNING.value
        }
    plates: dict[str, _RunningPlate] = {}
    for experiment in stuck:
        payload = started.get(experiment.id) or {}
        plate = plates.setdefault(str(payload.get("plate", "")), _RunningPlate())
        plate.digests.add(str(payload.get("protocol_sha256", "")))
        plate.experiments.append(experiment)
    return plates


def _settle_plate(
    store: Datastore,
    loaded: LoadedCampaign,
    builder: PlateBuilder,
    key: str,
    plate: _RunningPlate,
    devices: DeviceSet,
    actor: str,
    clock: Clock | None,
    outcome: RecoveryOutcome,
) -> None:
    """Record the plate's experiments from a fresh read of it, or flag them all."""
    experiments = sorted(plate.experiments, key=lambda e: e.number)
    try:
        protocol = _rebuilt_plate(loaded, builder, key, plate)
        _await_robots(protocol, devices, key, clock)
        _check_incubations(protocol, devices, key)
        readings = run_phases(
            (read_phase(protocol, key),), protocol, devices, clock or SystemClock()
        )
        outcomes = plate_outcomes(builder, protocol, readings, required_outcomes(loaded.spec))
    except (PlateUnknownError, DeviceError, ProtocolError) as exc:
        note = (
            f"interrupted: the orchestrator stopped while plate {key or '(unknown)'} was "
            f"running; {exc}; it was not re-run"
        )
        for experiment in experiments:
            _flag(store, experiment, actor, note)
            outcome.flagged.append(experiment.number)
        return
    with store.session() as session:
        record_outcomes(session, experiments, outcomes, actor)
        record_plate_readings(session, experiments[0].campaign_id, protocol, key, readings)
        source = {"source": "robot run record and a new read of the plate", "plate": key}
        for experiment in experiments:
            mark_reconciled(session, experiment, actor, source)
    for experiment in experiments:
        done = not isinstance(outcomes[experiment.number], str)
        (outcome.completed if done else outcome.failed).append(experiment.number)


def _rebuilt_plate(
    loaded: LoadedCampaign, builder: PlateBuilder, key: str, plate: _RunningPlate
) -> Protocol:
    """The plate protocol exactly as it ran (same designs, same wells, same digest)."""
    if not key or len(plate.digests) != 1:
        raise PlateUnknownError("the running events do not name one plate")
    first = min(e.number for e in plate.experiments)
    plan = builder.build_plate(
        plate_designs(plate.experiments), plate_name(loaded.spec.name, first)
    )
    if plan.protocol.digest() not in plate.digests:
        raise PlateUnknownError(
            "the plate rebuilt from its designs differs from the protocol that ran"
        )
    return plan.protocol


def _await_robots(protocol: Protocol, devices: DeviceSet, key: str, clock: Clock | None) -> None:
    """Check every liquid handler of the plate remembers a successful run of it.

    Raises:
        PlateUnknownError: A robot has no record of its run, or the run failed.
        DeviceError: A robot cannot be asked.
    """
    for name in plate_handlers(protocol):
        handler = devices.get(name, LiquidHandler)
        run_key = handler_run_key(key, name)
        report = _recall_finished(handler, run_key, clock)
        if report is None:
            raise PlateUnknownError(f"{name} has no record of run {run_key}")
        if report.status not in TERMINAL_STATUSES:
            raise PlateUnknownError(f"{name} holds run {run_key} {report.status}, unfinished")
        if not report.succeeded:
            errors = "; ".join(report.errors) or "no error reported"
            raise PlateUnknownError(f"{name} reports run {run_key} {report.status}: {errors}")


def _check_incubations(protocol: Protocol, devices: DeviceSet, key: str) -> None:
    """Check every incubator of the plate remembers its incubation (else what grew is unknown).

    Raises:
        PlateUnknownError: An incubator has no record of the plate's incubation.
    """
    for step in protocol.steps:
        if isinstance(step, Incubate):
            run_key = incubation_key(key, step)
            if devices.get(step.device, Incubator).recall(run_key) is None:
                raise PlateUnknownError(f"{step.device} has no record of incubation {run_key}")


def _recall_finished(handler: LiquidHandler, run_key: str, clock: Clock | None) -> RunReport | None:
    """The robot's record of ``run_key``, waited for while the robot still executes it."""
    report = handler.recall(run_key)
    if clock is None:
        return report
    deadline = clock.now_s() + handler.run_timeout_s
    while report is not None and report.status in EXECUTING and clock.now_s() < deadline:
        clock.sleep(RECALL_POLL_S)
        report = handler.recall(run_key)
    return report
