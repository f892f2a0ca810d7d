"""Devices of the labs campaigns run on: their service state and leases; in and out of service."""

from __future__ import annotations

from dataclasses import dataclass

from datastore import Datastore
from datastore import leases as lease_repo
from lab.devices.lab_spec import LabSpec
from lab.review.control import ControlError, set_device_service
from lab.review.overview import DeviceRow, device_rows, find_device
from lab.running.leasing import device_resource, lab_resource
from lab.services.actor import Actor

__all__ = [
    "DeviceRow",
    "LabStatus",
    "UnknownDeviceError",
    "find",
    "lab_status",
    "page",
    "rows",
]


class UnknownDeviceError(ControlError):
    """No stored lab has the device named; nothing was recorded."""


def rows(store: Datastore) -> list[DeviceRow]:
    """Every device of every lab stored with a campaign: labs by name, devices in file order."""
    return device_rows(store)


def page(store: Datastore, limit: int, offset: int = 0) -> tuple[list[DeviceRow], int]:
    """One page of :func:`rows` (same order), and how many devices there are in all.

    Args:
        store: The datastore.
        limit: Most rows in the page.
        offset: Rows to skip.
    """
    every = rows(store)  # a lab's devices come from its stored lab file, not a table
    return every[offset : offset + limit], len(every)


def find(store: Datastore, lab: str, device: str) -> DeviceRow | None:
    """The device ``device`` of lab ``lab``, or ``None`` if no stored lab has it."""
    return find_device(store, lab, device)


def set_in_service(
    store: Datastore, lab: str, device: str, in_service: bool, actor: Actor, note: str | None = None
) -> None:
    """Put a device of ``lab`` back in service (resetting its failure count) or take it out.

    Without a ``note``, taking a device out records ``taken out of service by <actor>``.

    Raises:
        ControlError: The database knows no such lab or device; nothing is recorded.
    """
    set_device_service(store, lab, device, in_service, actor.name, note)


def set_stored_device(
    store: Datastore, lab: str, device: str, in_service: bool, actor: Actor, note: str | None = None
) -> DeviceRow:
    """:func:`set_in_service` for a device of a lab stored with a campaign; return its new row.

    Raises:
        UnknownDeviceError: No stored lab has that device (nothing is recorded).
    """
    if find(store, lab, device) is None:
        raise UnknownDeviceError(
            f"no device {device!r} in lab {lab!r} (no stored campaign's lab has it); "
            "list the devices (`dbtl lab status LAB.yaml`, GET /api/v1/devices) for the names"
        )
    set_in_service(store, lab, device, in_service, actor, note)
    row = find(store, lab, device)
    assert row is not None  # it was there a moment ago and devices are never removed
    return row


@dataclass(frozen=True)
class LabStatus:
    """Who serves a lab, and each of its devices' lease holder and service state."""

    served_by: str | None
    leased_by: dict[str, str | None]
    out_of_service: dict[str, str | None]
    """Devices out of service, with the note of each."""


def lab_status(store: Datastore, lab: LabSpec) -> LabStatus:
    """The lab's lease holder, its devices' lease holders and those out of service."""
    with store.session() as session:
        holder = lease_repo.current(session, lab_resource(lab.name))
        broken = lease_repo.out_of_service(session, lab.name)
        leased = {}
        for d in lab.devices:
            lease = lease_repo.current(session, device_resource(lab.name, d.name))
            leased[d.name] = lease.holder if lease else None
    return LabStatus(holder.holder if holder else None, leased, broken)
