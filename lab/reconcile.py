"""After a crash: settle experiments that were running when the process died.

For each experiment left ``running``, the devices are asked whether they
still hold its result (an analyzer that kept the analysis run under the
step's idempotency key). If every measurement step can be recalled, the
experiment is completed from the instrument's record; otherwise it is flagged
``needs_attention`` for a person. It is never silently re-run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Experiment
from datastore.states import ExperimentStatus
from drivers.analyzer import Analyzer
from drivers.errors import DeviceError
from lab.campaigns import LoadedCampaign
from lab.devices import DeviceSet
from protocols.errors import ProtocolError
from protocols.protocol import Protocol
from protocols.steps import Measure

INTERRUPTED = (
    "interrupted: the orchestrator stopped while this experiment was running; its outcome is "
    "unknown to the devices and it was not re-run"
)


@dataclass
class RecoveryOutcome:
    """Numbers of the experiments completed from device records, and of those flagged."""

    completed: list[int] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)


def recall_readings(
    protocol: Protocol, devices: DeviceSet, run_key: str
) -> dict[str, float] | None:
    """Every measurement of a run, recalled from the analyzers, or ``None`` if any is unknown."""
    readings: dict[str, float] = {}
    measured = False
    for number, step in enumerate(protocol.steps, start=1):
        if not isinstance(step, Measure):
            continue
        try:
            values = devices.get(step.device, Analyzer).recall(f"{run_key}/{number}")
        except DeviceError:
            return None
        if values is None:
            return None
        readings.update(values)
        measured = True
    return readings if measured else None


def reconcile_running(
    store: Datastore, loaded: LoadedCampaign, campaign_id: int, devices: DeviceSet, actor: str
) -> RecoveryOutcome:
    """Complete (from device records) or flag every experiment a crash left running."""
    outcome = RecoveryOutcome()
    with store.session() as session:
        stuck = repo.list_experiments(session, campaign_id, [ExperimentStatus.RUNNING])
    for experiment in stuck:
        if _complete_from_devices(store, loaded, experiment, devices, actor):
            outcome.completed.append(experiment.number)
        else:
            _flag(store, experiment, actor)
            outcome.flagged.append(experiment.number)
    return outcome


def _complete_from_devices(
    store: Datastore, loaded: LoadedCampaign, experiment: Experiment, devices: DeviceSet, actor: str
) -> bool:
    try:
        protocol = loaded.builder.build(
            experiment.parameters, name=f"{loaded.spec.name}#{experiment.number}"
        )
    except ProtocolError:
        return False
    readings = recall_readings(protocol, devices, f"{loaded.spec.name}/{experiment.number}")
    if readings is None:
        return False
    try:
        measured = loaded.builder.measurements(protocol, readings)
    except (KeyError, ProtocolError):
        return False
    with store.session() as session:
        repo.record_result(session, experiment.id or 0, measured, actor=actor)
        repo.append_event(
            session,
            experiment.campaign_id,
            "reconciled",
            actor=actor,
            experiment_id=experiment.id,
            payload={"source": "device records after a crash"},
        )
    return True


def _flag(store: Datastore, experiment: Experiment, actor: str) -> None:
    with store.session() as session:
        repo.transition(
            session,
            experiment.id or 0,
            ExperimentStatus.NEEDS_ATTENTION,
            actor=actor,
            error=INTERRUPTED,
        )
