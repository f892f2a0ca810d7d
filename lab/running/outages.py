"""Device outages: waited out with backoff, never charged to the budget.

A device *stops answering* when a command or a probe of it ends in a
:class:`~drivers.errors.DeviceConnectionError` (the port cannot be opened, the
connection dropped) or a :class:`~drivers.errors.DeviceTimeoutError` (no reply
in time). Before an experiment (or a plate) starts, every device it uses is
probed (``identify``, a query that changes nothing); a device that does not
answer keeps the experiment in the queue. When a device stops answering
mid-run (or a reply is lost or garbled on the line, or a measuring device's
result never comes), the experiment is
flagged ``needs_attention`` with the steps that were sent (never failed, never
re-run, never counted in the budget); if nothing had reached a device yet, it
goes back to the queue.

Meanwhile the campaign is ``paused`` with the devices named (an event of kind
``campaign_status`` whose reason starts with :data:`OUTAGE_REASON`), and the
devices are reconnected with exponential backoff until they answer or the
lab's ``outage_timeout_s`` passes. Then the campaign is active again, or
:class:`DeviceOutageError` ends the run (``dbtl run`` exits with
:data:`OUTAGE_EXIT_CODE`); the next run resumes the campaign.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from datastore import Datastore, Session, lookups
from datastore import repository as repo
from datastore.models import Event, Experiment
from datastore.states import ExperimentStatus
from drivers.analyzer import Analyzer
from drivers.base import Device
from drivers.errors import (
    DeviceConnectionError,
    DeviceError,
    DeviceNoReplyError,
    DeviceProtocolError,
    DeviceTimeoutError,
    DeviceUnreachableError,
)
from drivers.plate_reader import PlateReader
from lab.devices.assembly import DeviceSet
from lab.devices.lab_spec import LabSpec
from lab.running.learn import INFRASTRUCTURE_MARK

log = logging.getLogger(__name__)

OUTAGE_ERRORS: tuple[type[DeviceError], ...] = (DeviceConnectionError, DeviceTimeoutError)
"""Failures that may mean a device stopped answering (confirmed by a probe)."""
LINE_ERRORS: tuple[type[DeviceError], ...] = (*OUTAGE_ERRORS, DeviceProtocolError)
"""Failures of the line or instrument, not of the experiment (see infrastructure_fault)."""
OUTAGE_EXIT_CODE = 4
"""Exit code of ``dbtl run`` when a device stayed silent past ``outage_timeout_s``."""
OUTAGE_REASON = "device outage:"
"""How the reason of a campaign paused for an outage begins."""
INTERRUPTED_EVENT = INFRASTRUCTURE_MARK
"""Event kind marking an experiment flagged because a device stopped mid-run."""
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 15.0


class DeviceOutageError(DeviceError):
    """A device did not answer again within the lab's ``outage_timeout_s``."""


def is_outage_error(exc: BaseException) -> bool:
    """Whether ``exc`` is of a kind an outage produces (connection lost, no reply)."""
    return isinstance(exc, OUTAGE_ERRORS)


def silent_devices(devices: DeviceSet, names: Iterable[str]) -> dict[str, str]:
    """Ask each named device who it is; return the ones that do not answer, with why.

    A device that answers with a refusal or an alarm is answering: only
    connection and timeout errors count as silence.
    """
    silent: dict[str, str] = {}
    for name in sorted(set(names)):
        device = devices.devices.get(name)
        if device is None:
            continue
        try:
            device.identify()
        except OUTAGE_ERRORS as exc:
            silent[name] = exc.message
        except DeviceError:
            continue
    return silent


def reconnect(devices: DeviceSet, names: Iterable[str]) -> dict[str, str]:
    """Close, reopen and re-initialize each named device; return those still silent."""
    silent: dict[str, str] = {}
    for name in sorted(set(names)):
        device = devices.devices.get(name)
        if device is None:
            continue
        with suppress(DeviceError):
            device.disconnect()
        try:
            device.connect()
            device.identify()
        except OUTAGE_ERRORS as exc:
            silent[name] = exc.message
        except DeviceError:
            continue
    return silent


def devices_involved(lab: LabSpec, names: Iterable[str]) -> set[str]:
    """``names`` and the devices they drive themselves (an analyzer's injection valve)."""
    involved = set(names)
    for spec in lab.devices:
        if spec.name in involved:
            involved.update(linked.device for linked in spec.settings.linked_devices())
    return involved


def is_outage_pause(event: Event | None) -> bool:
    """Whether a ``campaign_status`` event paused its campaign for a device outage."""
    if event is None or event.payload.get("to") != "paused":
        return False
    return str(event.payload.get("reason") or "").startswith(OUTAGE_REASON)


def last_status_event(store: Datastore, campaign_id: int) -> Event | None:
    """The campaign's latest ``campaign_status`` event, if any."""
    with store.session() as session:
        return repo.last_event_of_kind(session, campaign_id, "campaign_status")


def resume_after_outage(store: Datastore, campaign_id: int, actor: str) -> bool:
    """Make a campaign paused by an outage active again (a person's pause stays); True if it was."""
    with store.session() as session:
        campaign = lookups.campaign_by_id(session, campaign_id)
        event = repo.last_event_of_kind(session, campaign_id, "campaign_status")
        if campaign is None or campaign.status != "paused" or not is_outage_pause(event):
            return False
        repo.set_campaign_status(
            session, campaign, "active", actor=actor, reason="resumed after a device outage"
        )
    return True


@dataclass
class OutageWatch:
    """Waits out the outage of some devices of one campaign's lab.

    Attributes:
        store: The datastore (the pause and the resume are recorded there).
        campaign_id: The campaign to pause.
        devices: The lab's devices.
        timeout_s: The lab's ``outage_timeout_s``.
        actor: Name recorded on events.
        announce: Called with each line worth telling the operator.
        sleep: Waits between reconnects (real time; injected by tests).
        monotonic: Real-time clock (injected by tests).
    """

    store: Datastore
    campaign_id: int
    devices: DeviceSet
    timeout_s: float
    actor: str
    announce: Callable[[str], None] = lambda message: None
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic

    def wait(self, silent: dict[str, str]) -> None:
        """Pause the campaign and reconnect ``silent`` devices until they answer.

        Args:
            silent: Devices that stopped answering, with the last error of each.

        Raises:
            DeviceOutageError: Still silent after ``timeout_s``; the campaign
                stays paused, naming the devices.
        """
        names = ", ".join(sorted(silent))
        detail = "; ".join(f"{n}: {m}" for n, m in sorted(silent.items()))
        self._pause(
            f"{OUTAGE_REASON} {names} not answering ({detail}); "
            f"retrying for up to {self.timeout_s:g} s"
        )
        started = self.monotonic()
        deadline = started + self.timeout_s
        delay = FIRST_BACKOFF_S
        while silent:
            remaining = deadline - self.monotonic()
            if remaining <= 0:
                break
            self.sleep(min(delay, remaining))
            delay = min(delay * 2.0, MAX_BACKOFF_S)
            silent = reconnect(self.devices, silent)
        names_left = ", ".join(sorted(silent))
        if silent:
            message = (
                f"did not answer for {self.timeout_s:g} s (outage_timeout_s of the lab file); "
                f"the campaign stays paused: bring {names_left} back and run it again"
            )
            log.error("%s %s", names_left, message)
            raise DeviceOutageError(names_left, message)
        self._resume(f"outage over: {names} answered after {self.monotonic() - started:.1f} s")

    def connect_failed(self, device: Device, exc: DeviceError) -> None:
        """Wait out a device that does not answer when the run connects (see ``connected``).

        Raises:
            DeviceError: ``exc`` itself if it is no outage (a refusal, a wrong model...).
            DeviceOutageError: Still silent after ``timeout_s``.
        """
        if not is_outage_error(exc):
            raise exc
        self.wait({device.name: exc.message})

    def _pause(self, reason: str) -> None:
        log.warning("%s", reason)
        self.announce(reason)
        with self.store.session() as session:
            campaign = lookups.campaign_by_id(session, self.campaign_id)
            if campaign is not None and campaign.status == "active":
                repo.set_campaign_status(
                    session, campaign, "paused", actor=self.actor, reason=reason
                )

    def _resume(self, reason: str) -> None:
        log.warning("%s", reason)
        self.announce(reason)
        with self.store.session() as session:
            campaign = lookups.campaign_by_id(session, self.campaign_id)
            event = repo.last_event_of_kind(session, self.campaign_id, "campaign_status")
            if campaign is not None and campaign.status == "paused" and is_outage_pause(event):
                repo.set_campaign_status(
                    session, campaign, "active", actor=self.actor, reason=reason
                )


def settle_interrupted(
    session: Session,
    experiment: Experiment,
    exc: DeviceError,
    steps: Sequence[str],
    actor: str,
    where: Mapping[str, Any] | None = None,
) -> ExperimentStatus:
    """Move a running experiment whose device stopped answering; return where it went.

    Back to ``queued`` when nothing reached a device (the first step's port
    could not be opened); otherwise ``needs_attention``, naming the device, the
    step it stopped at and the steps sent before it, with an
    :data:`INTERRUPTED_EVENT` so it is not counted in the budget.

    Args:
        session: An open session.
        experiment: The running experiment.
        exc: The device's error.
        steps: Summaries of the steps begun, in order; the last is the one that failed.
        actor: Name recorded on events.
        where: Extra payload (e.g. the plate key).
    """
    eid = experiment.id or 0
    payload = {**(where or {}), "device": exc.device, "steps_begun": list(steps)}
    if len(steps) <= 1 and isinstance(exc, DeviceUnreachableError):
        repo.transition(
            session,
            eid,
            ExperimentStatus.QUEUED,
            actor=actor,
            payload={**payload, "reason": f"back to the queue: nothing was sent ({exc})"},
        )
        return ExperimentStatus.QUEUED
    sent = "; ".join(steps[:-1]) or "nothing"
    failed = steps[-1] if steps else "(before the first step)"
    note = (
        f"interrupted: device {exc.device} stopped answering at {failed} ({exc.message}); "
        f"sent before it: {sent}; the outcome is unknown and it was not re-run: check the "
        f"devices and settle it with `dbtl resolve {experiment.number}`"
    )
    repo.transition(
        session, eid, ExperimentStatus.NEEDS_ATTENTION, actor=actor, error=note, payload=payload
    )
    repo.append_event(
        session,
        experiment.campaign_id,
        INTERRUPTED_EVENT,
        actor=actor,
        experiment_id=eid,
        payload=payload,
    )
    return ExperimentStatus.NEEDS_ATTENTION


MEASURING_DEVICES: tuple[type[Device], ...] = (Analyzer, PlateReader)
"""Devices whose missing result is lost infrastructure (a report that never came), not chemistry."""


def infrastructure_fault(
    devices: DeviceSet, exc: DeviceError, names: Iterable[str]
) -> dict[str, str] | None:
    """Whether ``exc`` is infrastructure, and which of ``names`` stopped answering.

    Returns:
        ``None`` if the failure is the experiment's own (fail it as usual);
        otherwise the silent devices to wait for, possibly none. A dropped
        connection is infrastructure even if the device answers again at once
        (the command's fate is unknown), and so are a reply lost or garbled
        on the wire (line noise) and a measuring device's timeout (its result
        never came); another timeout (a heater that did not stabilize) is
        infrastructure only if a probe finds a silent device, else it is the
        experiment's own failure.
    """
    if not isinstance(exc, LINE_ERRORS):
        return None
    silent = silent_devices(devices, names)
    if isinstance(exc, DeviceConnectionError):
        silent.setdefault(exc.device, exc.message)
        return silent
    if isinstance(exc, DeviceNoReplyError | DeviceProtocolError):
        return silent
    if silent or isinstance(devices.devices.get(exc.device), MEASURING_DEVICES):
        return silent
    return None
