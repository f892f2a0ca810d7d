"""``dbtl route ...``: propose routes to a target, review and refine them, run a route campaign."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from datastore import Datastore
from datastore.engine import DEFAULT_URL
from lab.cli.route_views import print_recipe, print_routes, route_json
from lab.devices.labfile import load_lab
from lab.running.campaigns import default_actor
from lab.services.routes import (
    compile_recipe,
    decide,
    listing,
    load,
    propose_and_store,
    save_edit,
)
from routes import edits
from routes.errors import RouteError
from routes.interchange import FORMATS, write_routes
from routes.registry import ProposalRequest, proposer_names
from routes.stock import Stock

console = Console()
route_app = typer.Typer(
    help="Propose synthesis routes, review, edit, approve or reject them, run a route campaign.",
    no_args_is_help=True,
)
Db = Annotated[str, typer.Option("--db", envvar="DBTL_DB", help="Database URL.")]
VersionId = Annotated[int, typer.Argument(help="Route version id (see 'dbtl route review').")]


@contextmanager
def _route_errors() -> Iterator[None]:
    """Bad route input: one line, exit 2 (other user errors are handled by the main CLI)."""
    try:
        yield
    except RouteError as exc:
        console.print(f"[bold red]error:[/bold red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)


@route_app.command("propose")
def propose_cmd(
    target: Annotated[str, typer.Argument(help="Target SMILES.", show_default=False)],
    stock: Annotated[Path, typer.Option(help="Stock CSV: smiles,name,price,location.")],
    max_steps: Annotated[int, typer.Option(min=1, max=6, help="Longest route.")] = 3,
    max_routes: Annotated[int, typer.Option(min=1, max=20, help="Routes kept.")] = 5,
    proposer: Annotated[str, typer.Option(help=f"One of {', '.join(proposer_names())}.")] = (
        "templates"
    ),
    route_file: Annotated[
        Path | None,
        typer.Option("--from", help="Route file for the aizynthfinder/syntheseus readers."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of trees.")] = False,
    db: Db = DEFAULT_URL,
) -> None:
    """Propose ranked routes to TARGET from the stock and store them for review."""
    with _route_errors():
        request = ProposalRequest(target, Stock.read(stock), max_steps, max_routes, route_file)
        stored = propose_and_store(Datastore(db), request, default_actor(), proposer)
    if as_json:
        print(json.dumps([route_json(s) for s in stored], indent=2))
        return
    print_routes(console, stored)
    console.print(f"{len(stored)} route(s) stored for review: dbtl route review --db {db}")


@route_app.command("review")
def review_cmd(
    version: Annotated[int | None, typer.Argument(help="One version, in full.")] = None,
    target: Annotated[str | None, typer.Option(help="Only routes to this SMILES.")] = None,
    svg: Annotated[
        Path | None, typer.Option(help="Folder to draw each step's reaction in.")
    ] = None,
    db: Db = DEFAULT_URL,
) -> None:
    """List stored route versions (status, steps, leaves), or show one with its recipe."""
    store = Datastore(db)
    with _route_errors():
        if version is None:
            print_routes(console, listing(store, target))
            return
        print_recipe(console, load(store, version), svg)


@route_app.command("edit")
def edit_cmd(
    version: VersionId,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="STEP.NAME=VALUE: temperature_c, equivalents, time_min, solvent, workup."
        ),
    ] = None,
    swap_reagent: Annotated[
        list[str] | None,
        typer.Option(help="STEP:OLD=NEW[@SMILES]: another reagent of the same role."),
    ] = None,
    swap_step: Annotated[
        list[str] | None, typer.Option(help="STEP:TEMPLATE: make that step's product another way.")
    ] = None,
    stock: Annotated[
        Path | None, typer.Option(help="Stock for the leaves of a swapped step.")
    ] = None,
    by: Annotated[str | None, typer.Option(help="Who edits (default: this account).")] = None,
    note: Annotated[str, typer.Option(help="Why (kept with the version).")] = "",
    db: Db = DEFAULT_URL,
) -> None:
    """Refine a route into a recipe: the edit is stored as a new version, the old one kept."""
    store = Datastore(db)
    with _route_errors():
        route = load(store, version).route
        for item in swap_step or []:
            number, template_id = _split(item, ":", "--swap-step")
            swap_stock = Stock.read(stock) if stock is not None else None
            route = edits.swap_step(route, int(number), template_id, swap_stock)
        for item in swap_reagent or []:
            number, rest = _split(item, ":", "--swap-reagent")
            old, new = _split(rest, "=", "--swap-reagent")
            name, _, smiles = new.partition("@")
            route = edits.swap_reagent(route, int(number), old, name, smiles or None)
        for item in set_ or []:
            key, value = _split(item, "=", "--set")
            number, name = _split(key, ".", "--set")
            route = edits.set_condition(route, int(number), name, value)
        stored = save_edit(store, version, route, by or default_actor(), note)
    console.print(
        f"route version {stored.version.id} (v{stored.version.version} of family "
        f"{stored.version.family}) stored; version {version} is kept"
    )


def _split(text: str, sep: str, option: str) -> tuple[str, str]:
    left, found, right = text.partition(sep)
    if not found or not left or not right:
        raise RouteError(f"{option} {text!r}: expected the form with {sep!r}")
    if sep in ":." and not left.isdigit():
        raise RouteError(f"{option} {text!r}: {left!r} is not a step number")
    return left, right


@route_app.command("approve")
def approve_cmd(
    version: VersionId,
    lab: Annotated[Path, typer.Option(help="Lab file: the recipe is checked against it.")],
    comment: Annotated[str | None, typer.Option(help="Kept with the approval.")] = None,
    by: Annotated[
        str | None, typer.Option(help="The chemist's account (default: this one).")
    ] = None,
    db: Db = DEFAULT_URL,
) -> None:
    """Approve a route version as a recipe, after checking it against the lab."""
    with _route_errors():
        stored = decide(
            Datastore(db), version, "approved", by or default_actor(), comment, load_lab(lab)
        )
    console.print(
        f"route version {version} approved by {stored.decision and stored.decision.account}"
    )


@route_app.command("reject")
def reject_cmd(
    version: VersionId,
    reason: Annotated[str, typer.Option(help="Why (kept with the rejection).")],
    by: Annotated[str | None, typer.Option(help="Who rejects (default: this account).")] = None,
    db: Db = DEFAULT_URL,
) -> None:
    """Reject a route version, with the reason."""
    with _route_errors():
        decide(Datastore(db), version, "rejected", by or default_actor(), reason)
    console.print(f"route version {version} rejected")


@route_app.command("compile")
def compile_cmd(
    version: VersionId,
    lab: Annotated[Path, typer.Option(help="Lab file with a liquid handler and reagents.")],
    out: Annotated[Path | None, typer.Option(help="Write the protocol here (else print).")] = None,
    db: Db = DEFAULT_URL,
) -> None:
    """Compile an approved recipe (every condition fixed) to an Opentrons batch protocol."""
    with _route_errors():
        text = compile_recipe(load(Datastore(db), version), load_lab(lab))
    if out is None:
        print(text)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out}; check it with: opentrons_simulate {out}")


@route_app.command("export")
def export_cmd(
    version: VersionId,
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")],
    db: Db = DEFAULT_URL,
) -> None:
    """Print a route version as an AiZynthFinder or syntheseus route file."""
    with _route_errors():
        if fmt not in FORMATS:
            raise RouteError(f"--format {fmt!r}: use {', '.join(FORMATS)}")
        print(write_routes([load(Datastore(db), version).route], fmt))


@route_app.command("run")
def run_cmd(
    spec: Annotated[Path, typer.Argument(help="Route campaign YAML file.", show_default=False)],
    db: Db = DEFAULT_URL,
    budget: Annotated[int | None, typer.Option(help="Override the file's budget.")] = None,
) -> None:
    """Propose, approve (auto policy), compile, run and optimize routes; print the best recipe."""
    from lab.cli.route_run import run_route_campaign

    with _route_errors():
        run_route_campaign(console, Datastore(db), spec, budget)
