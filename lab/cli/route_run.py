"""``dbtl route run``: a route campaign from the target to the best recipe found."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from datastore import Datastore
from lab.builders.route import step_conditions
from lab.cli.console import RichReporter
from lab.cli.route_views import print_routes
from lab.running.campaigns import default_actor
from lab.running.runner import run_campaign
from lab.services.route_campaigns import best_recipe, load_route_campaign


def run_route_campaign(console: Console, store: Datastore, spec: Path, budget: int | None) -> None:
    """Prepare the routes, run the campaign to its budget and print the best recipe."""
    loaded, prepared = load_route_campaign(store, spec, default_actor(), budget)
    console.print(
        f"[bold]{len(prepared.proposed)} route(s) proposed[/bold], "
        f"{len(prepared.approved)} approved:"
    )
    print_routes(console, prepared.approved)
    for version_id, reason in prepared.held.items():
        console.print(f"route {version_id} left for a chemist: {reason}", highlight=False)
    reporter = RichReporter(console, loaded.spec.objectives)
    try:
        result = run_campaign(store, loaded, reporter)
    finally:
        reporter.close()
    console.print(f"{result.reason}: {result.experiments_run} experiment(s) run now")
    best = best_recipe(store, loaded)
    if best is None:
        console.print("no experiment has a yield yet")
        return
    design, value = best
    approved = loaded.builder.chosen(design)
    table = Table(
        "step",
        "reaction",
        "temperature °C",
        "equiv",
        "time min",
        "solvent",
        title=f"best recipe: route {approved.label}, yield {value:.1f} %",
    )
    for number, (step, c) in enumerate(
        zip(approved.route.steps, step_conditions(approved.route, design), strict=True), start=1
    ):
        table.add_row(
            str(number),
            f"{step.template_class}: {step.reaction_smiles}",
            f"{c.temperature_c:.1f}",
            f"{c.equivalents:.2f}",
            f"{c.time_min:.0f}",
            c.solvent,
        )
    console.print(table)
