"""``dbtl protocol``: compile the next plate so a person can inspect and simulate it first."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from datastore import Datastore
from datastore import repository as repo
from lab.building import BuildConfigError, make_builder
from lab.building_hte import HtePlateBuilder
from lab.campaigns import LoadedCampaign
from lab.designs_csv import read_designs
from lab.labfile import load_lab
from lab.learn import budget_used, planner_inputs, propose
from lab.spec import CampaignSpec
from lab.yamlio import SpecError, load_model_and_tree, locate
from planner import Design, Observation
from planner.space import ParameterValue
from protocols.errors import ProtocolError
from protocols.hte import PlatePlan
from protocols.opentrons import CompiledProtocol, compile_opentrons
from protocols.validation import check_protocol

protocol_app = typer.Typer(
    help="Compile protocols to device programs and check them before anything runs.",
    no_args_is_help=True,
)
console = Console()
Batch = list[tuple[int, dict[str, ParameterValue]]]


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
    simulate: Annotated[
        bool, typer.Option("--simulate", help="Also run the protocol in opentrons.simulate.")
    ] = False,
) -> None:
    """Compile the next HTE plate of a campaign (or a designs CSV) to an Opentrons protocol.

    Writes OUTPUT (the protocol), OUTPUT with .csv (its transfer table, usable
    as the 'transfers' runtime parameter) and prints the experiment → well map.
    Volumes, wells, stocks and tips are checked against the deck first; a
    violation is reported and nothing is written.
    """
    loaded, builder = _load(spec, lab)
    campaign, lab_spec = loaded.spec, loaded.lab
    batch = read_designs(designs, campaign.parameters) if designs else _next_batch(loaded, db)
    plan = builder.build_plate(batch, name=f"{campaign.name}-plate-{batch[0][0]}")
    check_protocol(plan.protocol, lab_spec.limits())
    deck = lab_spec.device(builder.recipe.liquid_handler).deck
    assert deck is not None  # checked by the builder
    compiled = compile_opentrons(plan.protocol, deck, builder.recipe.liquid_handler)
    output.write_text(compiled.text, encoding="utf-8")
    table_path = output.with_suffix(".csv")
    table_path.write_text(compiled.transfers_csv, encoding="utf-8")
    console.print(_plate_table(plan, batch))
    console.print(
        f"wrote {output} ({compiled.robot_type}, apiLevel {compiled.api_level}, "
        f"{len(plan.protocol.steps)} steps) and its transfer table {table_path}"
    )
    if simulate:
        _simulate(compiled)


def _load(spec_path: Path, lab_path: Path | None) -> tuple[LoadedCampaign, HtePlateBuilder]:
    """The campaign as the loop loads it (``load_lab``'s driver checks and relative paths)."""
    spec, tree = load_model_and_tree(
        spec_path, CampaignSpec, {"base_dir": spec_path.resolve().parent}
    )
    lab_file = lab_path or (spec_path.parent / spec.lab).resolve()
    if not lab_file.is_file():
        where = locate(spec_path, tree, "lab") if lab_path is None else "--lab"
        raise SpecError(f"{where}: lab file {str(lab_file)!r} not found")
    lab = load_lab(lab_file)
    try:
        builder = make_builder(spec, lab)
    except BuildConfigError as exc:
        raise SpecError(f"{locate(spec_path, tree, exc.where)}: {exc.message}") from None
    if not isinstance(builder, HtePlateBuilder):
        raise SpecError(
            f"{spec_path}: protocol.builder is {spec.protocol.builder!r}; "
            "`dbtl protocol compile` compiles hte_plate campaigns"
        )
    text = spec_path.read_text(encoding="utf-8")
    return LoadedCampaign(spec_path, text, spec, lab, builder), builder


def _next_batch(loaded: LoadedCampaign, db: str | None) -> Batch:
    """The batch the loop would plan next (the first one if the campaign is not stored).

    The same problem (with the builder's candidates), strategy options and
    planning call as the loop (:func:`lab.learn.propose`).
    """
    spec, problem = loaded.spec, loaded.problem
    observations: list[Observation] = []
    pending: list[Design] = []
    first, remaining = 1, spec.budget
    if db is not None and _may_exist(db):
        store = Datastore(db)
        with store.session() as session:
            campaign = repo.find_campaign(session, spec.name)
            if campaign is not None and campaign.id is not None:
                observations, pending = planner_inputs(session, campaign.id, problem)
                first = len(repo.experiment_rows(session, campaign.id)) + 1
                remaining = spec.budget - budget_used(session, campaign.id)
        store.dispose()
    if remaining <= 0:
        raise SpecError(f"campaign {spec.name!r} has used its budget of {spec.budget}")
    n = min(spec.batch_size, remaining)
    proposal = propose(problem, spec.strategy, observations, pending, n)
    return [(first + i, dict(s.parameters)) for i, s in enumerate(proposal.suggestions)]


def _may_exist(db: str) -> bool:
    """A SQLite URL names an existing file (never create one just to look); others may exist."""
    prefix = "sqlite:///"
    return not db.startswith(prefix) or os.path.exists(db.removeprefix(prefix))


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


def _simulate(compiled: CompiledProtocol) -> None:
    import opentrons.simulate

    try:
        runlog, _ = opentrons.simulate.simulate(io.StringIO(compiled.text), compiled.filename)
    except Exception as exc:  # the simulator raises many kinds; each means "this would fail"
        raise ProtocolError(f"opentrons.simulate rejects {compiled.filename}: {exc}") from None
    console.print(f"opentrons.simulate: {len(runlog)} commands, no error")
