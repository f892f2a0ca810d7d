"""Pause, resume and abort campaigns; put devices in and out of service.

These are the operator's levers. They only write to the datastore; the
process running a campaign (``dbtl run`` or ``dbtl lab up``) sees the change
at its next step: a paused campaign finishes the experiment it is running and
then waits; an aborted one abandons every experiment that has not started.
"""

from __future__ import annotations

from collections.abc import Mapping

from datastore import Datastore, DatastoreError
from datastore import leases as lease_repo
from datastore import repository as repo
from datastore.states import ExperimentStatus

_S = ExperimentStatus
_MOVES = {
    "pause": ({"active"}, "paused"),
    "resume": ({"paused"}, "active"),
    "abort": ({"active", "paused"}, "aborted"),
}
NOT_STARTED = (_S.PROPOSED, _S.AWAITING_APPROVAL, _S.APPROVED, _S.QUEUED)


class ControlError(DatastoreError):
    """The operator's command does not apply to the campaign's current state."""


def change_campaign(
    store: Datastore,
    name: str,
    action: str,
    actor: str,
    reason: str | None = None,
    audit: Mapping[str, str] | None = None,
) -> list[int]:
    """Pause, resume or abort campaign ``name``.

    ``audit`` (where the command came from) is added to the events' payloads.

    Returns:
        Numbers of the experiments abandoned (abort only).

    Raises:
        ControlError: The action does not apply to the campaign's status.
        NotFoundError: No such campaign.
    """
    allowed, target = _MOVES[action]
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        if campaign.status not in allowed:
            raise ControlError(
                f"cannot {action} campaign {name!r}: it is {campaign.status} "
                f"({action} applies to {' or '.join(sorted(allowed))} campaigns)"
            )
        repo.set_campaign_status(session, campaign, target, actor=actor, reason=reason, extra=audit)
        abandoned: list[int] = []
        if action == "abort":
            note = f"campaign aborted{': ' + reason if reason else ''}"
            for experiment in repo.list_experiments(session, campaign.id or 0, NOT_STARTED):
                repo.transition(
                    session,
                    experiment.id or 0,
                    _S.ABANDONED,
                    actor=actor,
                    error=note,
                    payload=dict(audit or {}),
                )
                abandoned.append(experiment.number)
        return abandoned


def set_device_service(
    store: Datastore, lab: str, device: str, in_service: bool, actor: str, note: str | None = None
) -> None:
    """Put a device of ``lab`` back in service (resetting its failure count) or take it out.

    Raises:
        ControlError: The database knows no such lab, or the lab no such device
            (nothing is recorded).
    """
    with store.session() as session:
        known = lease_repo.known_devices(session)
        if lab not in known:
            labs = ", ".join(sorted(known)) or "none yet"
            raise ControlError(
                f"lab {lab!r} is not known to this database (labs: {labs}); give the `name:` "
                "of a lab file whose campaigns ran here, or pass the right --db"
            )
        if device not in known[lab]:
            raise ControlError(
                f"lab {lab!r} has no device {device!r} (its devices: "
                f"{', '.join(sorted(known[lab]))}); give a device name from its lab file"
            )
        lease_repo.set_in_service(
            session,
            lab,
            device,
            in_service,
            note or (f"taken out of service by {actor}" if not in_service else None),
        )
