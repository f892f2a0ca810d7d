"""Compile a recipe to a sequential batch program: a liquid handler and a heater-shaker.

All steps run one after the other in one well of a plate on an Opentrons
Heater-Shaker (one pot, telescoped): for each step the pipette adds the
step's reactants and reagents from their stock wells (``equivalents ·
scale_umol / stock`` µL; 1 mol/L is 1 µmol/µL) and the step's solvent, then
the module closes its latch, heats (below 37 °C the step runs at ambient:
the module does not cool), shakes for the step's time and stops. Transfers
larger than the pipette are split. The output is an Opentrons Python protocol
(API v2) that ``opentrons.simulate`` runs; nothing is executed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from protocols.deck import Deck, volume_range_ul
from protocols.inventory import ReagentSpec
from protocols.route_recipe import RecipeError, Stage, StageConditions, resolve
from routes.model import Route

HEATER_SHAKER_RANGE_C = (37.0, 95.0)
"""What the Opentrons Heater-Shaker can hold (it heats only)."""


class HeaterShakerSetup(BaseModel):
    """Where the heater-shaker sits and what it holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slot: str = "10"
    adapter: str = "opentrons_96_deep_well_adapter"
    plate: str = "nest_96_wellplate_2ml_deep"
    well: str = Field(default="A1", pattern=r"^[A-P][0-9]{1,2}$")
    max_temperature_c: float = Field(default=HEATER_SHAKER_RANGE_C[1], le=HEATER_SHAKER_RANGE_C[1])
    shake_rpm: int = Field(default=1000, ge=200, le=3000)
    scale_umol: float = Field(default=50.0, gt=0, description="limiting reactant per run")
    concentration_mol_l: float = Field(default=0.15, gt=0, description="of the limiting reactant")


@dataclass(frozen=True)
class Addition:
    """One pipetting of a stage."""

    mount: str
    labware: str
    well: str
    volume_ul: float
    what: str


@dataclass(frozen=True)
class CompiledBatch:
    """The Opentrons protocol text and the additions it makes, stage by stage."""

    filename: str
    text: str
    stages: tuple[tuple[Addition, ...], ...]


def _additions(
    stage: Stage, name: str, reagent: ReagentSpec, volume_ul: float, deck: Deck
) -> list[Addition]:
    where = f"step {stage.number} ({stage.step.template_class})"
    if reagent.well is None:
        raise RecipeError(where, f"{name!r} sits at {reagent.position!r}, not at labware/well")
    labware, well = reagent.well
    if labware not in {lw.name for lw in deck.labware}:
        raise RecipeError(
            where, f"{name!r}: no labware {labware!r} on the deck ({deck.labware_names()})"
        )
    pipette = deck.pipette_for(volume_ul)
    if pipette is None:
        raise RecipeError(
            where, f"{volume_ul:.3g} µL of {name!r} is below every pipette ({deck.ranges_text()})"
        )
    top = volume_range_ul(deck, pipette)[1]
    parts = math.ceil(volume_ul / top - 1e-9)
    return [Addition(pipette.mount, labware, well, volume_ul / parts, name)] * parts


def _stage_additions(stage: Stage, setup: HeaterShakerSetup, deck: Deck) -> tuple[Addition, ...]:
    where = f"step {stage.number} ({stage.step.template_class})"
    target = stage.conditions.temperature_c
    if target > setup.max_temperature_c:
        raise RecipeError(
            where,
            f"{target:g} °C exceeds the heater-shaker's limit {setup.max_temperature_c:g} °C",
        )
    stage_volume = setup.scale_umol / setup.concentration_mol_l
    added: list[Addition] = []
    for charge in stage.charges:
        assert charge.reagent.concentration_mol_l is not None
        volume = charge.equivalents * setup.scale_umol / charge.reagent.concentration_mol_l
        added += _additions(stage, charge.name, charge.reagent, volume, deck)
    solvent = stage_volume - sum(a.volume_ul for a in added)
    if solvent < 0:
        raise RecipeError(
            where,
            f"the charges take {sum(a.volume_ul for a in added):.4g} µL, more than the stage's "
            f"{stage_volume:.4g} µL; use more concentrated stocks",
        )
    if solvent >= 1.0:
        added += _additions(stage, stage.solvent.species, stage.solvent, solvent, deck)
    return tuple(added)


def compile_batch(
    route: Route,
    conditions: list[StageConditions],
    inventory: tuple[ReagentSpec, ...],
    deck: Deck,
    setup: HeaterShakerSetup,
    name: str,
) -> CompiledBatch:
    """Compile ``route`` at ``conditions`` to an Opentrons protocol, pre-flighted.

    Raises:
        RecipeError: A species the inventory lacks or that is not on the deck, a
            volume no pipette handles, or a temperature beyond the heater-shaker.
    """
    taken = {lw.slot: lw.name for lw in deck.labware}
    if setup.slot in taken:
        raise RecipeError(
            "heater_shaker.slot", f"slot {setup.slot} already holds {taken[setup.slot]!r}"
        )
    stages = resolve(route, conditions, inventory)
    per_stage = tuple(_stage_additions(s, setup, deck) for s in stages)
    text = _render(name, deck, setup, stages, per_stage)
    return CompiledBatch(filename=f"{name}.py".replace("/", "_"), text=text, stages=per_stage)


def _stage_plan(stage: Stage, additions: tuple[Addition, ...]) -> dict[str, object]:
    temperature = stage.conditions.temperature_c
    return {
        "title": f"step {stage.number}: {stage.step.template_class} in {stage.solvent.species}",
        "temperature_c": temperature if temperature >= HEATER_SHAKER_RANGE_C[0] else None,
        "time_min": round(stage.conditions.time_min, 3),
        "additions": [
            (a.mount, a.labware, a.well, round(a.volume_ul, 2), a.what) for a in additions
        ],
    }


def _render(
    name: str,
    deck: Deck,
    setup: HeaterShakerSetup,
    stages: list[Stage],
    per_stage: tuple[tuple[Addition, ...], ...],
) -> str:
    plan = [_stage_plan(s, a) for s, a in zip(stages, per_stage, strict=True)]
    constants = "\n".join(
        [
            f"metadata = {{'protocolName': {name[:100]!r}, 'author': 'dbtl'}}",
            f"requirements = {{'robotType': {deck.robot_type!r}, 'apiLevel': {deck.api_level!r}}}",
            f"LABWARE = {[(lw.name, lw.load_name, lw.slot, lw.version) for lw in deck.labware]!r}",
            f"PIPETTES = {[(p.mount, p.load_name, list(p.tipracks)) for p in deck.pipettes]!r}",
            f"TRASH_SLOT = {deck.trash!r}",
            f"MODULE = {(setup.slot, setup.adapter, setup.plate, setup.well, setup.shake_rpm)!r}",
            f"STAGES = {plan!r}",
        ]
    )
    doc = f'"""dbtl batch route protocol {name}: compiled by dbtl, recompile rather than edit."""'
    return f"{doc}\n\n{constants}\n{_BODY}"


_BODY = '''

def run(protocol):
    """Load the deck and the heater-shaker, then run every stage in the reaction well."""
    labware = {
        name: protocol.load_labware(load_name, slot, label=name, version=version)
        for name, load_name, slot, version in LABWARE
    }
    if requirements["robotType"] == "Flex":
        protocol.load_trash_bin(TRASH_SLOT)
    pipettes = {
        mount: protocol.load_instrument(load_name, mount, tip_racks=[labware[r] for r in racks])
        for mount, load_name, racks in PIPETTES
    }
    slot, adapter, plate, well, rpm = MODULE
    module = protocol.load_module("heaterShakerModuleV1", slot)
    vessel = module.load_adapter(adapter).load_labware(plate)[well]
    module.close_labware_latch()
    for stage in STAGES:
        protocol.comment(stage["title"])
        module.deactivate_shaker()
        for mount, source, source_well, volume, what in stage["additions"]:
            pipette = pipettes[mount]
            pipette.pick_up_tip()
            pipette.aspirate(volume, labware[source][source_well])
            pipette.dispense(volume, vessel)
            pipette.drop_tip()
        if stage["temperature_c"] is None:
            protocol.comment("at ambient temperature")
        else:
            module.set_and_wait_for_temperature(stage["temperature_c"])
        module.set_and_wait_for_shake_speed(rpm)
        protocol.delay(minutes=stage["time_min"])
        module.deactivate_shaker()
    module.deactivate_heater()
    protocol.comment("route complete: sample the reaction well for analysis")
'''
