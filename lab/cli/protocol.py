"""``dbtl protocol``: compile the next plate so a person can inspect and simulate it first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lab.services.planning import Batch
from lab.services.protocols import compile_next_plate, load_plate_campaign, simulate
from planner.space import ParameterValue
from protocols.hte import PlatePlan

protocol_app = typer.Typer(
    help="Compile protocols to device programs and check them before anything runs.",
    no_args_is_help=True,
)
console = Console()


@protocol_app.command("compile")
def compile_plate(
    spec: Annotated[Path, typer.Argument(help="Campaign YAML file.", show_default=False)],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Opentrons protocol (.py) to write.")
    ],
    lab: Annotated[
        Path | None, typer.Option("--lab", help="Lab YAML file (default: the campaign's lab).")
    ] = None,
    designs: Annotated[
        Path | None,
        typer.Option("--designs", help="CSV of designs (a column per parameter) to compile."),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="DBTL_DB",
            help="Database of the campaign: compile its next batch. Without it (or if the "
            "campaign is not stored there), the campaign's first batch.",
        ),
    ] = None,
    simulate_: Annotated[
        bool, typer.Option("--simulate", help="Also run the protocol in opentrons.simulate.")
    ] = False,
) -> None:
    """Compile the next HTE plate of a campaign (or a designs CSV) to an Opentrons protocol.

    Writes OUTPUT (the protocol), OUTPUT with .csv (its transfer table, usable
    as the 'transfers' runtime parameter) and prints the experiment → well map.
    Volumes, wells, stocks and tips are checked against the deck first; a
    violation is reported and nothing is written.
    """
    loaded = load_plate_campaign(spec, lab)
    plate = compile_next_plate(loaded, db, designs)
    plan, batch, compiled = plate.plan, plate.batch, plate.compiled
    output.write_text(compiled.text, encoding="utf-8")
    table_path = output.with_suffix(".csv")
    table_path.write_text(compiled.transfers_csv, encoding="utf-8")
    console.print(_plate_table(plan, batch))
    console.print(
        f"wrote {output} ({compiled.robot_type}, apiLevel {compiled.api_level}, "
        f"{len(plan.protocol.steps)} steps) and its transfer table {table_path}"
    )
    if simulate_:
        commands = simulate(compiled)
        console.print(f"opentrons.simulate: {commands} commands, no error")


def _plate_table(plan: PlatePlan, batch: Batch) -> Table:
    designs = dict(batch)
    table = Table(title=f"{plan.protocol.name}: experiment → well")
    for column in ("experiment", "well", "design", "stock volumes (µL)"):
        table.add_column(column)
    for number, well in plan.well_map.items():
        content = plan.contents[well]
        design = ", ".join(f"{k}={_fmt(v)}" for k, v in designs[number].items())
        volumes = ", ".join(f"{s} {v:.4g}" for s, v in content.volumes_ul.items())
        table.add_row(str(number), well, design, volumes)
    return table


def _fmt(value: ParameterValue) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
