"""How ``dbtl route`` shows routes: trees, recipes, JSON and reaction pictures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from lab.services.routes import StoredRoute
from routes.drawing import step_svg


def route_json(stored: StoredRoute) -> dict[str, Any]:
    """One stored route as JSON: its id, version, status and the route itself."""
    return {
        "id": stored.version.id,
        "family": stored.version.family,
        "version": stored.version.version,
        "status": stored.status,
        "steps": stored.route.step_count,
        "solved": stored.route.solved,
        "cost": stored.route.cost,
        "route": stored.route.model_dump(mode="json"),
    }


def print_routes(console: Console, stored: list[StoredRoute]) -> None:
    """Each route as a tree under a header line (id, version, status, steps, leaves in stock)."""
    for s in stored:
        r = s.route
        in_stock = sum(r.leaves.values())
        console.print(
            f"[bold]route {s.version.id}[/bold] (v{s.version.version} of {s.version.family}, "
            f"{s.status}) {r.step_count} step(s), {in_stock}/{len(r.leaves)} leaves in stock, "
            f"cost {r.cost:g}, from {r.source}",
            highlight=False,
        )
        for line in r.tree_lines():
            console.print(f"  {line}", highlight=False, markup=False)


def print_recipe(console: Console, stored: StoredRoute, svg_dir: Path | None) -> None:
    """One route in full: every step's reaction, reagents, condition space and fixed recipe."""
    print_routes(console, [stored])
    if stored.decision is not None:
        d = stored.decision
        console.print(f"  {d.decision} by {d.account}: {d.comment or ''}", highlight=False)
    table = Table("step", "class / template", "reaction", "reagents", "space", "recipe")
    for number, step in enumerate(stored.route.steps, start=1):
        space = step.conditions
        table.add_row(
            str(number),
            f"{step.template_class}\n{step.template_id or step.source}",
            step.reaction_smiles,
            ", ".join(f"{g.name} ({g.role}, {g.equivalents:g} eq)" for g in step.reagents),
            f"{space.temperature_c[0]:g}-{space.temperature_c[1]:g} °C\n"
            f"{space.equivalents[0]:g}-{space.equivalents[1]:g} eq\n"
            f"{space.time_min[0]:g}-{space.time_min[1]:g} min\n{', '.join(space.solvents)}",
            ", ".join(f"{k}={v}" for k, v in step.recipe.model_dump(exclude_none=True).items())
            or "(planner)",
        )
        if svg_dir is not None:
            svg_dir.mkdir(parents=True, exist_ok=True)
            path = svg_dir / f"route{stored.version.id}_step{number}.svg"
            path.write_text(step_svg(step), encoding="utf-8")
    console.print(table)
    if svg_dir is not None:
        console.print(f"reactions drawn in {svg_dir}")
