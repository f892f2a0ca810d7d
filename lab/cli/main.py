"""The ``dbtl`` command line."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from datastore import Datastore, DatastoreError
from datastore.engine import DEFAULT_URL, redact
from datastore.models import Campaign
from drivers.errors import DeviceError
from lab.builders.binding import BuildConfigError
from lab.builders.limits_check import poll_problem
from lab.cli.bench import BenchInputError, bench
from lab.cli.campaign import AllowPaths, campaign_app
from lab.cli.console import RichReporter, events_table, experiments_table, summary_tables
from lab.cli.db import db_app
from lab.cli.imports import import_command
from lab.cli.lab import lab_app
from lab.cli.model import model_app
from lab.cli.protocol import protocol_app
from lab.cli.provenance import export_ord_command, provenance
from lab.cli.review import approve, reject, resolve, review
from lab.cli.route import route_app
from lab.cli.serve import serve
from lab.cli.table_layout import fit
from lab.cli.tables import export_table_command
from lab.cli.user import user_app
from lab.review.decisions import ReviewError
from lab.review.views import CampaignView
from lab.running.outages import OUTAGE_EXIT_CODE, DeviceOutageError
from lab.running.runner import run_campaign
from lab.services import campaigns as campaign_service
from lab.services import exports
from lab.specs.yamlio import SpecError
from planner import PlannerError
from protocols.errors import ProtocolError

USER_ERRORS: tuple[type[Exception], ...] = (
    SpecError,
    DatastoreError,
    PlannerError,
    ProtocolError,
    DeviceError,
    BuildConfigError,
    ReviewError,
    BenchInputError,
)
"""Errors whose message is for the user: printed without a traceback."""

app = typer.Typer(
    name="dbtl",
    help="Run closed-loop Design-Build-Test-Learn campaigns on real instruments or simulators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
console = Console()


def dbtl_version() -> str:
    """The installed version of dbtl ("unknown" when run from a tree that is not installed)."""
    try:
        return metadata.version("dbtl")
    except metadata.PackageNotFoundError:
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        console.print(f"dbtl {dbtl_version()}", highlight=False)
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Run closed-loop Design-Build-Test-Learn campaigns on real instruments or simulators."""


DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="DBTL_DB",
        show_default=True,
        help="Database URL: a SQLite file (sqlite:///path.db) or PostgreSQL "
        "(postgresql+psycopg2://user@host:5432/db).",
    ),
]


class ExportFormat(StrEnum):
    """File formats of ``dbtl export``."""

    csv = "csv"
    parquet = "parquet"
    ord = "ord"


class OrdValidation(StrEnum):
    """How ``dbtl export --format ord`` checks its records with ``ord_schema.validations``."""

    all = "all"
    sample = "sample"
    none = "none"


@app.command()
def run(
    spec: Annotated[Path, typer.Argument(help="Campaign YAML file.", show_default=False)],
    db: DbOption = DEFAULT_URL,
    budget: Annotated[
        int | None,
        typer.Option(help="Maximum number of experiments (overrides the file's budget)."),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="Wait for approvals (chemist/rules policies) or exit, to come back later.",
        ),
    ] = True,
    poll: Annotated[float, typer.Option(help="Seconds between looks for approvals.")] = 2.0,
    allow_path: AllowPaths = None,
) -> None:
    """Run a campaign to its budget, or resume it if it was stopped or killed.

    Experiments are stored as they go; running the same command again continues
    where the campaign stopped, without repeating or losing any experiment.
    The lab file, and the folders its instruments write to, must be inside
    the campaign file's folder (or a folder given with --allow-path).
    Under an approval policy other than auto, proposals wait for `dbtl approve`
    (from any terminal sharing the database); devices are not held meanwhile.
    A device that stops answering is waited for (the lab's outage_timeout_s,
    default 180 s) with the campaign paused; the outage costs no budget.
    Exit codes: 0 finished, 1 stopped before the budget, 3 waiting (--no-wait),
    4 a device stayed silent past outage_timeout_s (run again once it is back).
    """
    if problem := poll_problem(poll):
        raise SpecError(f"--poll {problem}")
    loaded = campaign_service.load(spec, budget, allow_path or ())
    store = Datastore(db)
    campaign_service.check_resumable(store, loaded)
    resumed = campaign_service.is_stored(store, loaded.spec.name)
    console.print(
        f"[bold]{'resuming' if resumed else 'starting'}[/bold] campaign "
        f"[cyan]{loaded.spec.name}[/cyan] on lab [cyan]{loaded.lab.name}[/cyan] "
        f"({loaded.spec.strategy.name}, budget {loaded.spec.budget}, batch "
        f"{loaded.spec.batch_size}) → {redact(db)}"
    )
    reporter = RichReporter(console, loaded.spec.objectives)
    try:
        result = run_campaign(store, loaded, reporter, wait=wait, poll_s=poll)
    except DeviceOutageError as exc:
        reporter.close()
        console.print(f"[bold red]device outage:[/bold red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(OUTAGE_EXIT_CODE) from None
    finally:
        reporter.close()
    view = campaign_service.view(store, loaded.spec.name)
    for table in summary_tables(view):
        console.print(fit(table, console))
    console.print(
        f"{result.reason}: {result.experiments_run} experiment(s) run now, "
        f"{len(view.table)} stored. See [bold]dbtl show {loaded.spec.name}[/bold]."
    )
    if not result.finished:
        raise typer.Exit(3 if result.reason and "await approval" in result.reason else 1)


@app.command()
def show(
    name: Annotated[
        str | None,
        typer.Argument(help="Campaign name; without it, list the campaigns.", show_default=False),
    ] = None,
    db: DbOption = DEFAULT_URL,
    limit: Annotated[
        int, typer.Option(help="Show the last N experiments and cycles (0: all).")
    ] = 20,
    events: Annotated[bool, typer.Option("--events", help="Also print the audit trail.")] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print JSON with stable keys (see lab/review/show_json.py)."),
    ] = False,
) -> None:
    """Show a stored campaign: best result, progress per cycle, experiments (reads only)."""
    store = Datastore.for_reading(db)
    if as_json:
        return print_json(campaign_service.show_json(store, name, limit, events))
    if name is None:
        console.print(fit(campaigns_table(campaign_service.stored(store)), console))
        return
    shown = campaign_service.show(store, name, limit, events)
    view = shown.view
    tables = [header(view, shown.status_reason), *summary_tables(view, limit or None)]
    tables.append(experiments_table(view, limit or None))
    if events:
        tables.append(events_table(view))
    for table in tables:
        console.print(fit(table, console))


@app.command()
def export(
    name: Annotated[str, typer.Argument(help="Campaign name.", show_default=False)],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write.", show_default=False)
    ],
    fmt_: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="File format.")
    ] = ExportFormat.csv,
    db: DbOption = DEFAULT_URL,
    validate: Annotated[
        OrdValidation,
        typer.Option(
            "--validate",
            help="ORD only: check every record (all), every distinct input, setup and "
            "conditions plus 1 record in 100 (sample), or nothing (none).",
        ),
    ] = OrdValidation.sample,
) -> None:
    """Export one row per experiment: id, cycle, status, parameters, objectives (reads only)."""
    store = Datastore.for_reading(db)
    if fmt_ is ExportFormat.ord:  # Open Reaction Database records (lab/export/ord.py)
        return export_ord_command(store, name, output, validate.value)
    count = exports.experiments(
        store, name, "csv" if fmt_ is ExportFormat.csv else "parquet", output
    )
    console.print(f"wrote {count} experiment(s) to {output}")


def print_json(data: object) -> None:
    """Print ``data`` as JSON on stdout, unstyled."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def header(view: CampaignView, reason: str = "") -> Table:
    """A key/value table about the campaign (``reason``: why it has its status)."""
    c = view.campaign
    table = Table(show_header=False, title=f"Campaign {c.name}")
    table.add_column(style="bold")
    table.add_column()
    counts = ", ".join(f"{k} {v}" for k, v in sorted(view.status_counts().items())) or "none"
    for key, value in (
        ("status", f"{c.status}: {reason}" if reason else c.status),
        ("strategy", f"{c.strategy} (seed {c.seed})"),
        ("budget", f"{c.budget} experiments, batch {c.batch_size}"),
        ("approval", c.approval_policy),
        ("experiments", counts),
        ("created", f"{c.created_at:%Y-%m-%d %H:%M} UTC"),
    ):
        table.add_row(key, value)
    return table


def campaigns_table(campaigns: list[Campaign]) -> Table:
    """Every stored campaign, one line each."""
    table = Table(title="Campaigns")
    for column in ("name", "status", "strategy", "budget", "created"):
        table.add_column(column)
    for c in campaigns:
        table.add_row(c.name, c.status, c.strategy, str(c.budget), f"{c.created_at:%Y-%m-%d %H:%M}")
    return table


app.command()(review)
app.command()(approve)
app.command()(reject)
app.command()(resolve)
app.command()(serve)
app.command()(bench)
app.command()(provenance)
app.command("export-table")(export_table_command)
app.command("import")(import_command)
app.add_typer(campaign_app, name="campaign")
app.add_typer(lab_app, name="lab")
app.add_typer(protocol_app, name="protocol")
app.add_typer(route_app, name="route")
app.add_typer(db_app, name="db")
app.add_typer(model_app, name="model")
app.add_typer(user_app, name="user")


def main() -> None:
    """Entry point: run the app; user errors print one clear line and exit 2."""
    try:
        app()
    except USER_ERRORS as exc:
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted; run the same command again to resume[/yellow]")
        sys.exit(130)


if __name__ == "__main__":
    main()
