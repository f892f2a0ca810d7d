"""``dbtl campaign ...``: register campaigns for an orchestrator, and pause/resume/abort them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from datastore import Datastore
from datastore.engine import DEFAULT_URL
from lab.services import campaigns as campaign_service
from lab.services import control
from lab.services.actor import terminal_actor

console = Console()
campaign_app = typer.Typer(help="Create, pause, resume or abort campaigns.", no_args_is_help=True)

Db = Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")]
Name = Annotated[str, typer.Argument(help="Campaign name.", show_default=False)]
Reason = Annotated[str | None, typer.Option(help="Why (kept in the audit trail).")]
AllowPaths = Annotated[
    list[Path] | None,
    typer.Option(
        "--allow-path",
        help="A folder outside the campaign file's own that its lab file and the lab's "
        "results_dir may be in (repeatable).",
        show_default=False,
    ),
]


@campaign_app.command("create")
def create(
    spec: Annotated[Path, typer.Argument(help="Campaign YAML file.", show_default=False)],
    db: Db = DEFAULT_URL,
    budget: Annotated[int | None, typer.Option(help="Override the file's budget.")] = None,
    allow_path: AllowPaths = None,
) -> None:
    """Store a campaign without running it; `dbtl lab up` on its lab will serve it."""
    loaded = campaign_service.load(spec, budget, allow_path or ())
    campaign, existed = campaign_service.create_or_resume(Datastore(db), loaded, terminal_actor())
    verb = "already stored" if existed else "created"
    console.print(
        f"campaign {campaign.name} {verb}; it runs on lab {loaded.lab.name} "
        f"(priority {loaded.spec.priority}, approval {loaded.spec.approval.policy})"
    )


@campaign_app.command("pause")
def pause(name: Name, reason: Reason = None, db: Db = DEFAULT_URL) -> None:
    """Pause: the running experiment finishes, then nothing new starts."""
    control.pause(Datastore(db), name, terminal_actor(), reason)
    console.print(f"campaign {name} paused")


@campaign_app.command("resume")
def resume(name: Name, reason: Reason = None, db: Db = DEFAULT_URL) -> None:
    """Resume a paused campaign."""
    control.resume(Datastore(db), name, terminal_actor(), reason)
    console.print(f"campaign {name} resumed")


@campaign_app.command("abort")
def abort(name: Name, reason: Reason = None, db: Db = DEFAULT_URL) -> None:
    """Abort: every experiment not yet started is abandoned; the campaign ends."""
    abandoned = control.abort(Datastore(db), name, terminal_actor(), reason)
    listed = ", ".join(f"#{n}" for n in abandoned) or "none"
    console.print(f"campaign {name} aborted; abandoned experiments: {listed}")
