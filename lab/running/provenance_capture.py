"""What the run path hands the datastore so that every experiment's chain can be followed.

The loop calls these in the transaction that moves experiments to
``running`` (before any device command) and in the one that records the
results: the protocol (steps, metadata, compiled program), which experiments
the run carries, the device commands with their idempotency keys and the
identities the devices give, and the raw instrument records.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from datastore import Session, provenance
from datastore.provenance import NewCommand, ProtocolData
from drivers.analyzer import Analyzer
from drivers.base import Device, DeviceIdentity
from drivers.errors import DeviceError
from lab.devices.assembly import DeviceSet
from protocols.plate_compile import CompiledPlate, reading_key
from protocols.protocol import Protocol
from protocols.steps import Incubate, Measure, ReadPlate, step_device

READER_EXPORT = "plate_reader_export"
ANALYSIS_REPORT = "analysis_report"


def identity_of(devices: DeviceSet, name: str) -> DeviceIdentity:
    """What device ``name`` says it is (model and firmware), or why it could not say."""
    try:
        return devices.get(name, Device).identify()  # type: ignore[type-abstract]
    except DeviceError as exc:
        return DeviceIdentity(model="unknown", details={"error": str(exc)})


def protocol_data(protocol: Protocol, compiled: tuple[str, str] | None = None) -> ProtocolData:
    """The stored form of ``protocol``, with its compiled program ``(file name, text)``."""
    dumped = protocol.model_dump(mode="json")
    return ProtocolData(
        sha256=protocol.digest(),
        name=protocol.name,
        steps=dumped["steps"],
        metadata=dumped["metadata"],
        compiled_name=compiled[0] if compiled else None,
        compiled=compiled[1] if compiled else None,
    )


def _command(
    devices: DeviceSet, device: str, command: str, key: str, step: int | None, **detail: object
) -> NewCommand:
    identity = identity_of(devices, device)
    return NewCommand(
        device=device,
        command=command,
        idempotency_key=key,
        step=step,
        model=identity.model,
        firmware=identity.firmware,
        serial=identity.serial_number,
        detail={**detail, **({"identity": identity.details} if identity.details else {})},
    )


def record_single_run(
    session: Session,
    campaign_id: int,
    experiment_id: int,
    protocol: Protocol,
    run_key: str,
    devices: DeviceSet,
) -> None:
    """Store one experiment's run: protocol, and one command per device step (key ``run/n``)."""
    addressed = [(n, step, step_device(step)) for n, step in enumerate(protocol.steps, start=1)]
    commands = [
        _command(devices, device, step.kind, f"{run_key}/{number}", number)
        for number, step, device in addressed
        if device is not None
    ]
    provenance.record_run(
        session, campaign_id, run_key, protocol_data(protocol), {experiment_id: None}, commands
    )


def record_plate_run(
    session: Session,
    campaign_id: int,
    plate: CompiledPlate,
    well_map: Mapping[int, str],
    experiment_ids: Mapping[int, int],
    devices: DeviceSet,
) -> None:
    """Store a plate's run: protocol and robot program, wells, the robot runs and the reads.

    Args:
        session: Open session (the one moving the plate to ``running``).
        campaign_id: The campaign.
        plate: The compiled plate (its protocol, key and operations).
        well_map: Experiment number → well of the plate.
        experiment_ids: Experiment number → id, for the plate's experiments.
        devices: The lab's devices, asked for their identity.
    """
    commands, compiled = [], None
    for op, run in plate.robot_runs():
        compiled = compiled or (run.filename, run.text)
        commands.append(
            _command(
                devices, run.device, "run_protocol", op.key, None,
                program=run.filename, robot_type=run.robot_type,
            )
        )  # fmt: skip
    numbered = [op for op in plate.operations() if op.number is not None]
    for op in sorted(numbered, key=lambda o: o.number or 0):
        step = op.step
        if isinstance(step, ReadPlate):
            commands.append(
                _command(
                    devices, step.device, "read_plate", op.key, op.number,
                    labware=step.labware, wells=list(step.wells),
                )
            )  # fmt: skip
        elif isinstance(step, Incubate):
            commands.append(
                _command(
                    devices, step.device, "incubate", op.key, op.number,
                    labware=list(step.labware), temperature_c=step.temperature_c,
                    duration_h=step.duration_h,
                )
            )  # fmt: skip
    wells = {experiment_ids[n]: well for n, well in well_map.items() if n in experiment_ids}
    provenance.record_run(
        session, campaign_id, plate.key, protocol_data(plate.protocol, compiled), wells, commands
    )


def reader_export(readings: Mapping[str, Mapping[str, float]]) -> bytes:
    """The plate reader's answer as the CSV export it stands for: ``well,quantity,value``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["well", "quantity", "value"])
    for well, values in readings.items():
        for quantity, value in values.items():
            writer.writerow([well, quantity, repr(float(value))])
    return out.getvalue().encode()


def record_plate_readings(
    session: Session,
    campaign_id: int,
    protocol: Protocol,
    key: str,
    readings: Mapping[str, Mapping[str, float]],
) -> None:
    """Store each plate reader's export of the plate ``key``."""
    for step in protocol.steps:
        if isinstance(step, ReadPlate):
            keys = {w: reading_key(protocol, step.labware, w) for w in step.wells}
            mine = {w: readings[k] for w, k in keys.items() if k in readings}
            several = any(k != w for w, k in keys.items())
            suffix = f"_{step.labware}" if several else ""
            provenance.record_instrument_file(
                session,
                campaign_id,
                key,
                device=step.device,
                kind=READER_EXPORT,
                file_name=f"{key.replace('/', '_')}_{step.device}{suffix}.csv",
                content=reader_export(mine),
            )


def record_analyses(
    session: Session, campaign_id: int, protocol: Protocol, run_key: str, devices: DeviceSet
) -> None:
    """Store the raw file (an HPLC report) each analyzer wrote for the run's measure steps."""
    for number, step in enumerate(protocol.steps, start=1):
        if not isinstance(step, Measure):
            continue
        try:
            record = devices.get(step.device, Analyzer).raw_record(f"{run_key}/{number}")
        except DeviceError:
            continue
        if record is not None:
            provenance.record_instrument_file(
                session,
                campaign_id,
                run_key,
                device=step.device,
                kind=ANALYSIS_REPORT,
                file_name=record.file_name,
                content=record.content,
            )
