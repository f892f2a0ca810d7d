"""``dbtl lab ...``: serve a lab's campaigns, and manage its devices."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from datastore import Datastore
from datastore import leases as lease_repo
from datastore.engine import DEFAULT_URL
from lab.campaigns import default_actor
from lab.console import LineReporter
from lab.control import set_device_service
from lab.labspec import LabSpec
from lab.leasing import device_resource, lab_resource
from lab.orchestrator import Orchestrator
from lab.yamlio import SpecError, load_model

console = Console()
lab_app = typer.Typer(help="Serve a lab's campaigns and manage its devices.", no_args_is_help=True)

Db = Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")]
LabFile = Annotated[Path, typer.Argument(help="Lab YAML file.", show_default=False)]


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
    lab = load_model(lab_file, LabSpec)
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
    set_device_service(Datastore(db), lab, device, on, default_actor(), note)
    console.print(f"{lab}/{device} is {'in' if on else 'out of'} service")


@lab_app.command("status")
def status(lab_file: LabFile, db: Db = DEFAULT_URL) -> None:
    """Who serves the lab, which devices are leased, and which are out of service."""
    lab = load_model(lab_file, LabSpec)
    store = Datastore(db)
    table = Table(title=f"Lab {lab.name}")
    for column in ("device", "kind", "driver", "service", "leased by"):
        table.add_column(column)
    with store.session() as session:
        holder = lease_repo.current(session, lab_resource(lab.name))
        broken = lease_repo.out_of_service(session, lab.name)
        for d in lab.devices:
            lease = lease_repo.current(session, device_resource(lab.name, d.name))
            state = f"[red]out: {broken[d.name]}[/red]" if d.name in broken else "in"
            table.add_row(d.name, d.kind, d.driver, state, lease.holder if lease else "–")
    console.print(f"served by: {holder.holder if holder else 'nobody'}")
    console.print(table)


__all__ = ["SpecError", "lab_app"]
