"""``dbtl lab``: check a lab's devices, emulate its instruments, serve its campaigns.

``dbtl lab check LAB.yaml`` connects to every device, asks what it is and
how it is, and prints one row per device; it changes nothing on the devices
and exits 1 naming every device that failed or that reports a setting (a
syringe diameter, a valve's positions, an address) other than the file's.

``dbtl lab emulate LAB.yaml`` serves every wired device of the lab with a
wire-level emulator on its ``socket://`` port, around one simulated flow
reactor, until Ctrl-C. Run a campaign on the same lab file in another
terminal to watch the real protocols at work::

    dbtl lab emulate examples/labs/flow_emulated.yaml
    dbtl run examples/snar_flow_emulated.yaml          # in another terminal
"""

from __future__ import annotations

import math
import signal
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from datastore import Datastore
from datastore.engine import DEFAULT_URL
from drivers.analyzer import Analyzer
from drivers.base import Device, DeviceIdentity
from drivers.errors import DeviceError
from drivers.heater import Heater
from drivers.pump import Pump
from drivers.valve import Valve
from lab.builders.limits_check import poll_problem
from lab.cli.console import LineReporter
from lab.devices.assembly import build_devices
from lab.devices.emulation import EmulatedLab, emulators
from lab.devices.lab_spec import DeviceSpec, LabSpec
from lab.devices.labfile import load_lab
from lab.running.campaigns import default_actor
from lab.running.orchestrator import Orchestrator
from lab.running.runner import clock_for
from lab.services import devices as device_service
from lab.services.actor import terminal_actor
from lab.specs.yamlio import SpecError

lab_app = typer.Typer(
    help="Check, emulate or serve a lab; manage its devices.",
    no_args_is_help=True,
)
console = Console()

LabArgument = Annotated[Path, typer.Argument(help="Lab YAML file.", show_default=False)]


@dataclass(frozen=True)
class Probe:
    """What checking one device found."""

    device: str
    identity: str = ""
    status: str = ""
    error: str | None = None
    mismatches: tuple[str, ...] = ()


def device_status(device: Device) -> str:
    """One line about the device's state, read from the device."""
    if isinstance(device, Pump):
        return f"{device.flow_rate_ml_min():.4g} mL/min"
    if isinstance(device, Heater):
        return f"{device.temperature_c():.1f} °C"
    if isinstance(device, Valve):
        return f"position {device.position()} of {device.positions}"
    if isinstance(device, Analyzer):
        return "ready"
    return "connected"


def describe(identity: DeviceIdentity) -> str:
    """The identity in one line."""
    head = " ".join(part for part in (identity.model, identity.firmware) if part)
    details = ", ".join(f"{k}={v}" for k, v in identity.details.items())
    return f"{head} ({details})" if details else head


REPORTED_AS = {"unit": "address", "folder": "results_dir"}
"""Identity details named otherwise than the lab file's field they report."""


def setting_mismatches(spec: DeviceSpec, identity: DeviceIdentity) -> tuple[str, ...]:
    """Every setting the device reports that differs from its lab file entry, as sentences."""
    found = []
    for key, reported in identity.details.items():
        field = REPORTED_AS.get(key, key)
        expected = spec.setting(field)
        if expected is None or _same_setting(expected, reported):
            continue
        found.append(
            f"{field} is {reported} on the device but {expected} in the lab file: "
            "fix the file or the device"
        )
    return tuple(found)


def _same_setting(expected: object, reported: str) -> bool:
    if isinstance(expected, bool) or not isinstance(expected, int | float):
        if isinstance(expected, Path):
            return Path(reported).resolve() == expected.resolve()
        return str(expected) == reported
    try:
        return math.isclose(float(reported), float(expected), rel_tol=1e-6, abs_tol=1e-9)
    except ValueError:
        return False


def probe(device: Device, spec: DeviceSpec) -> Probe:
    """Connect, identify, read the status and disconnect; never raises a DeviceError."""
    try:
        device.connect()
        identity = device.identify()
        return Probe(
            device.name,
            describe(identity),
            device_status(device),
            mismatches=setting_mismatches(spec, identity),
        )
    except DeviceError as exc:
        return Probe(device.name, error=exc.message)
    finally:
        with suppress(DeviceError):
            device.disconnect()


def check_table(lab: LabSpec, probes: list[Probe]) -> Table:
    """The check results, one row per device."""
    table = Table(title=f"Lab {lab.name}")
    for column in ("device", "kind", "driver", "port", "identity", "status"):
        table.add_column(column, overflow="fold")
    for spec, found in zip(lab.devices, probes, strict=True):
        status = "[red]FAILED[/red] (see below)" if found.error else f"[green]{found.status}"
        if found.mismatches:
            status = "[yellow]DIFFERS[/yellow] from the file (see below)"
        where = spec.settings.where() or "-"
        table.add_row(spec.name, spec.kind, spec.driver, where, found.identity, status)
    return table


@lab_app.command()
def check(lab_file: LabArgument) -> None:
    """Connect to every device and report its identity and status; exit 1 if any failed."""
    lab = load_lab(lab_file)
    devices = build_devices(lab, clock_for(lab))
    probes = [probe(devices.devices[spec.name], spec) for spec in lab.devices]
    console.print(check_table(lab, probes))
    failed = [p for p in probes if p.error is not None or p.mismatches]
    for found in failed:
        for problem in [found.error] if found.error else found.mismatches:
            console.print(f"[red]{found.device}:[/red] {problem}", highlight=False, soft_wrap=True)
    if failed:
        names = ", ".join(p.device for p in failed)
        console.print(f"[bold red]failed:[/bold red] {names}", highlight=False)
        raise typer.Exit(1)
    console.print(f"all {len(probes)} device(s) answered")


def emulation_table(emulated: EmulatedLab) -> Table:
    """What is emulated, and where."""
    table = Table(title=f"Emulating lab {emulated.lab.name}")
    for column in ("device", "emulator", "listening on / writing to"):
        table.add_column(column)
    for device in emulated.devices.values():
        table.add_row(device.name, device.protocol, device.where)
    return table


@lab_app.command()
def emulate(
    lab_file: LabArgument,
    duration: Annotated[
        float | None,
        typer.Option(help="Stop after this many seconds (default: run until Ctrl-C).", min=0),
    ] = None,
) -> None:
    """Serve the lab's instruments with wire-level emulators around one simulated reactor."""
    lab = load_lab(lab_file)
    with emulators(lab) as emulated:
        console.print(emulation_table(emulated))
        scale = lab.simulation.time_scale if lab.simulation else 1.0
        console.print(
            f"the simulated world runs {scale:g}× faster than real time; "
            f"run a campaign on {lab_file} in another terminal. "
            + ("Ctrl-C stops." if duration is None else f"Stopping after {duration:g} s.")
        )
        try:
            if duration is None:
                _forever()
            time.sleep(duration or 0.0)
        except KeyboardInterrupt:
            console.print("stopping the emulators")


def _forever() -> None:
    while True:
        time.sleep(3600)


Db = Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")]
LabFile = LabArgument


@lab_app.command("up")
def up(
    lab_file: LabFile,
    db: Db = DEFAULT_URL,
    poll: Annotated[float, typer.Option(help="Seconds between looks at the database.")] = 2.0,
    until_idle: Annotated[
        bool,
        typer.Option("--until-idle", help="Exit once every campaign is finished (CI, scripts)."),
    ] = False,
    wait_for_lab: Annotated[
        float,
        typer.Option(
            help="Seconds to wait if another process serves this lab (default: exit at once)."
        ),
    ] = 0.0,
) -> None:
    """Serve every active campaign bound to this lab until Ctrl-C.

    Approved experiments are queued and run; devices are leased exclusively;
    campaigns on different devices run concurrently, higher priority first.
    Register campaigns with `dbtl campaign create SPEC.yaml`.
    """
    if problem := poll_problem(poll):
        raise SpecError(f"--poll {problem}")
    lab = load_lab(lab_file)
    orchestrator = Orchestrator(
        Datastore(db), lab, default_actor(), lambda name: LineReporter(console, name), poll_s=poll
    )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        console.print("[yellow]stopping: finishing running experiments…[/yellow]")
        orchestrator.stop.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    console.print(f"serving lab [cyan]{lab.name}[/cyan] ({len(lab.devices)} devices) → {db}")
    outcomes = orchestrator.serve(until_idle=until_idle, lab_wait_s=wait_for_lab)
    for name, outcome in sorted(outcomes.items()):
        console.print(f"{name}: {outcome}")


@lab_app.command("service")
def service(
    lab: Annotated[str, typer.Argument(help="Lab name (as in its lab file).")],
    device: Annotated[str, typer.Argument(help="Device name.")],
    on: Annotated[bool, typer.Option("--on/--off", help="Put in or take out of service.")],
    note: Annotated[str | None, typer.Option(help="Why (shown to operators).")] = None,
    db: Db = DEFAULT_URL,
) -> None:
    """Put a device back in service (after repair) or take it out."""
    device_service.set_in_service(Datastore(db), lab, device, on, terminal_actor(), note)
    console.print(f"{lab}/{device} is {'in' if on else 'out of'} service")


@lab_app.command("status")
def status(lab_file: LabFile, db: Db = DEFAULT_URL) -> None:
    """Who serves the lab, which devices are leased, and which are out of service."""
    lab = load_lab(lab_file)
    found = device_service.lab_status(Datastore(db), lab)
    table = Table(title=f"Lab {lab.name}")
    for column in ("device", "kind", "driver", "service", "leased by"):
        table.add_column(column)
    broken = found.out_of_service
    for d in lab.devices:
        state = f"[red]out: {broken[d.name]}[/red]" if d.name in broken else "in"
        table.add_row(d.name, d.kind, d.driver, state, found.leased_by[d.name] or "–")
    console.print(f"served by: {found.served_by or 'nobody'}")
    console.print(table)
