"""``dbtl review``, ``dbtl approve``, ``dbtl reject``: the chemist's approval gate."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from datastore import Datastore
from datastore.engine import DEFAULT_URL
from lab.cli.console import fmt
from lab.review.decisions import ProposalView, ReviewError, parse_edits
from lab.running.approvals import is_person
from lab.services import attention as attention_service
from lab.services import review as review_service
from lab.services.actor import Actor, cli_actor, os_user

console = Console()

Db = Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")]
By = Annotated[
    str | None,
    typer.Option(
        "--by",
        help="Your name, recorded in the audit trail next to the OS user (default: the OS user).",
    ),
]
CampaignOpt = Annotated[str | None, typer.Option("--campaign", "-c", help="Only this campaign.")]
CycleOpt = Annotated[int | None, typer.Option("--cycle", help="Only proposals of this cycle.")]
AllOpt = Annotated[
    bool,
    typer.Option(
        "--all", help="Every proposal awaiting approval (narrow with --campaign / --cycle)."
    ),
]
Ids = Annotated[
    list[int] | None, typer.Argument(help="Experiment ids (see `dbtl review`).", show_default=False)
]


def review(
    campaign: CampaignOpt = None,
    db: Db = DEFAULT_URL,
    protocol: Annotated[
        bool, typer.Option("--protocol", help="Print each protocol's steps.")
    ] = False,
) -> None:
    """List proposals awaiting approval: parameters, prediction, why, safety flags, protocol."""
    views = review_service.list_proposals(Datastore(db), campaign)
    if not views:
        console.print("no proposals await approval")
        return
    console.print(proposals_table(views))
    if protocol:
        for view in views:
            console.rule(f"id {view.experiment.id} — {view.campaign} #{view.experiment.number}")
            for line in view.protocol_lines:
                console.print(line, highlight=False)
    console.print(
        "approve: [bold]dbtl approve ID [--edit name=value] [--comment ...][/bold]   "
        "reject: [bold]dbtl reject ID --reason ...[/bold]"
    )


def approve(
    ids: Ids = None,
    all_: AllOpt = False,
    campaign: CampaignOpt = None,
    cycle: CycleOpt = None,
    edit: Annotated[
        list[str] | None,
        typer.Option(
            "--edit", help="Change a parameter before approving: name=value (repeatable)."
        ),
    ] = None,
    comment: Annotated[str | None, typer.Option(help="Note kept with the approval.")] = None,
    by: By = None,
    db: Db = DEFAULT_URL,
) -> None:
    """Approve proposals (optionally edited); they then run as approved."""
    store, actor = Datastore(db), person(by)
    chosen = review_service.choose(store, ids, all_, campaign, cycle)
    decided = review_service.approve(store, actor, chosen, parse_edits(edit or []), comment)
    for e in decided:
        console.print(f"approved id {e.id} (#{e.number}): {params(e.parameters)}")


def reject(
    ids: Ids = None,
    reason: Annotated[
        str, typer.Option(help="Why (kept in the audit trail).", show_default=False)
    ] = "",
    all_: AllOpt = False,
    campaign: CampaignOpt = None,
    cycle: CycleOpt = None,
    by: By = None,
    db: Db = DEFAULT_URL,
) -> None:
    """Reject proposals with a reason; the planner will not propose them again."""
    store, actor = Datastore(db), person(by)
    chosen = review_service.choose(store, ids, all_, campaign, cycle)
    for e in review_service.reject(store, actor, chosen, reason):
        console.print(f"rejected id {e.id} (#{e.number}): {reason}")


def resolve(
    experiment_id: Annotated[int, typer.Argument(help="Experiment id.", show_default=False)],
    outcome: Annotated[
        str, typer.Option("--outcome", help="completed, failed or abandoned.", show_default=False)
    ],
    note: Annotated[
        str, typer.Option(help="How you know (kept in the audit trail).", show_default=False)
    ] = "",
    value: Annotated[
        list[str] | None,
        typer.Option("--value", help="With completed: a measured value, name=number (repeatable)."),
    ] = None,
    by: By = None,
    db: Db = DEFAULT_URL,
) -> None:
    """Settle an experiment flagged needs_attention after a crash (it is never re-run)."""
    if outcome not in ("completed", "failed", "abandoned"):
        raise ReviewError(f"--outcome {outcome!r}: expected completed, failed or abandoned")
    values = attention_service.parse_values(value or [])
    e = attention_service.settle(Datastore(db), person(by), experiment_id, outcome, values, note)
    console.print(f"experiment {e.id} (#{e.number}) is now {e.status}")


def cli_audit() -> dict[str, str]:
    """What every decision taken in a terminal records besides the name: source and OS user."""
    return cli_actor().audit()


def person(by: str | None) -> Actor:
    """The reviewer: --by (the OS user is recorded beside it), else the OS user."""
    name = by or os_user()
    if not is_person(name):
        raise ReviewError(f"--by {name!r}: names starting with 'policy:' are reserved")
    return cli_actor(name)


def params(parameters: dict) -> str:
    """Parameters as a compact ``name=value`` list."""
    return ", ".join(f"{k}={fmt(v)}" for k, v in parameters.items())


def proposals_table(views: list[ProposalView]) -> Table:
    """One row per proposal awaiting approval."""
    table = Table(title="Proposals awaiting approval", show_lines=True)
    constructs = any(view.construct for view in views)
    design = "construct (parts in order)" if constructs else "parameters"
    for column in ("id", "campaign", "#", "cycle", design, "predicted", "why", "flags"):
        table.add_column(column, overflow="fold")
    for view in views:
        e = view.experiment
        predicted = (
            "\n".join(f"{k} {v['mean']:.4g} ± {v['sd']:.2g}" for k, v in view.predictions.items())
            or "–"
        )
        flags = "\n".join(f"[red]{f}[/red]" for f in view.flags) or "[green]none[/green]"
        table.add_row(
            str(e.id),
            view.campaign,
            str(e.number),
            str(e.cycle),
            view.construct or params(e.parameters).replace(", ", "\n"),
            predicted,
            view.rationale,
            flags,
        )
    return table
