"""Compile a :class:`~protocols.golden_gate.GoldenGatePlan` to an Opentrons protocol (OT-2 or Flex).

The protocol file is self-contained: the plan is embedded as JSON constants
(source wells, per-reaction doses, thermocycler profiles). On the deck: the
Thermocycler Module (GEN2) holding the reaction plate, the parts source plate,
a reservoir (water, master mix, and for a transformation competent cells and
recovery medium), and tip racks. The parts source plate's contents are
announced as comments first (what the operator loads, and what a run log
shows). Water goes in first (one tip), then master mix
(one tip: it only touches water), then every part with a fresh tip; when the
racks run out the robot pauses for fresh racks. Then the lid closes and the
digestion–ligation program runs; with a transformation, cells are added at
4 °C, heat-shocked in the block, recovery medium is added and the block holds
37 °C for the outgrowth. Plating onto agar is left to the operator (it needs a
custom agar-plate labware definition). With a :class:`~protocols.culture.CulturePlan`
the outgrowth then inoculates the culture plates instead (liquid selection):
one plate at a time in the culture slot (the robot pauses for the next),
medium first with the large pipette (one tip per plate), then each well's
inoculum with a fresh tip: a construct's reaction well, a control strain's
reservoir well, or nothing for a blank.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from protocols.culture import MEDIUM_WELLS, CulturePlan
from protocols.golden_gate import GoldenGatePlan, ThermalProfile, recovery_program

RobotType = Literal["OT-2", "Flex"]
API_LEVEL = "2.20"
PCR_PLATE = "nest_96_wellplate_100ul_pcr_full_skirt"
RESERVOIR = "nest_12_reservoir_15ml"
RESERVOIR_WELLS = {"water": "A1", "master_mix": "A2", "cells": "A3", "recovery": "A4"}
CULTURE_PLATE = "nest_96_wellplate_2ml_deep"
_CULTURE_DECKS: dict[str, dict[str, object]] = {
    "OT-2": {
        "tip_slots": ["1", "2", "3"],
        "culture_slot": "9",
        "big_pipette": "p300_single_gen2",
        "big_tiprack": "opentrons_96_tiprack_300ul",
        "big_tip_slot": "6",
    },
    "Flex": {
        "culture_slot": "D2",
        "big_pipette": "flex_1channel_1000",
        "big_tiprack": "opentrons_flex_96_tiprack_200ul",
        "big_tip_slot": "D3",
    },
}

_DECKS: dict[str, dict[str, object]] = {
    "OT-2": {
        "pipette": "p20_single_gen2",
        "tiprack": "opentrons_96_tiprack_20ul",
        "tip_slots": ["1", "2", "3", "6"],
        "source_slot": "4",
        "reservoir_slot": "5",
        "trash": None,
    },
    "Flex": {
        "pipette": "flex_1channel_50",
        "tiprack": "opentrons_flex_96_tiprack_50ul",
        "tip_slots": ["A2", "B2", "B3", "C3"],
        "source_slot": "C1",
        "reservoir_slot": "C2",
        "trash": "A3",
    },
}


@dataclass(frozen=True)
class CompiledAssembly:
    """An Opentrons protocol file for one Golden Gate batch."""

    filename: str
    text: str
    robot_type: RobotType
    transfers: int
    """Liquid transfers the protocol makes (each part dose is one)."""


def compile_golden_gate(
    plan: GoldenGatePlan, robot_type: RobotType, name: str, culture: CulturePlan | None = None
) -> CompiledAssembly:
    """Compile ``plan`` (and the inoculation of ``culture``) for ``robot_type``.

    Nothing runs here: simulate or upload the text.
    """
    deck = dict(_DECKS[robot_type])
    if culture is not None:
        deck |= _CULTURE_DECKS[robot_type]
    reactions = [
        {
            "well": r.well,
            "construct": r.construct.name,
            "water_ul": r.water_ul,
            "master_mix_ul": r.master_mix_ul,
            "parts": [[d.part_id, d.source_well, d.volume_ul] for d in r.parts],
        }
        for r in plan.reactions
    ]
    settings = plan.settings
    plan_json = {
        "reactions": reactions,
        "assembly": [_profile(p) for p in plan.assembly_program],
        "transformation": [_profile(p) for p in plan.transformation_program],
        "recovery": [_profile(p) for p in recovery_program()]
        if plan.transformation_program
        else [],
        "reaction_volume_ul": settings.reaction_volume_ul,
        "lid_c": settings.lid_c,
        "cells_ul": settings.cells_ul,
        "recovery_ul": settings.recovery_medium_ul,
        "sources": sorted((well, part) for part, well in plan.source_wells.items()),
        "culture": _culture(culture),
    }
    metadata = {
        "protocolName": f"Golden Gate {name}"[:100],
        "author": "dbtl",
        "description": f"{len(reactions)} BsaI Golden Gate reactions",
    }
    header = _HEADER.format(
        metadata=repr(metadata),
        requirements=repr({"robotType": robot_type, "apiLevel": API_LEVEL}),
        deck=json.dumps(deck),
        plan=json.dumps(plan_json, indent=None),
        wells=json.dumps(RESERVOIR_WELLS),
        pcr=json.dumps(PCR_PLATE),
        reservoir=json.dumps(RESERVOIR),
        culture_plate=json.dumps(CULTURE_PLATE),
    )
    transfers = sum(len(r.parts) + (r.water_ul > 0) + 1 for r in plan.reactions)
    if culture is not None:
        transfers += sum(2 * len(p.wells) for p in culture.plates)
    filename = f"golden_gate_{name}_{robot_type.replace('-', '').lower()}.py"
    return CompiledAssembly(filename, header + _BODY, robot_type, transfers)


def _culture(culture: CulturePlan | None) -> dict[str, object] | None:
    if culture is None:
        return None
    return {
        "medium_ul": culture.medium_ul,
        "inoculum_ul": culture.inoculum_ul,
        "medium_wells": list(MEDIUM_WELLS),
        "plates": [
            {
                "label": p.label,
                "wells": [[w.well, list(w.source) if w.source else None] for w in p.wells],
            }
            for p in culture.plates
        ],
    }


def _profile(profile: ThermalProfile) -> dict[str, object]:
    return {
        "steps": [
            {"temperature": s.temperature_c, "hold_time_seconds": s.hold_s} for s in profile.steps
        ],
        "repetitions": profile.repetitions,
    }


_HEADER = '''"""Golden Gate assembly compiled by dbtl (BsaI, equimolar parts, thermocycler)."""
import json

from opentrons import protocol_api

metadata = {metadata}
requirements = {requirements}
DECK = json.loads({deck!r})
PLAN = json.loads({plan!r})
RESERVOIR_WELLS = json.loads({wells!r})
PCR_PLATE = json.loads({pcr!r})
RESERVOIR = json.loads({reservoir!r})
CULTURE_PLATE = json.loads({culture_plate!r})
'''

_BODY = """

def run(protocol: protocol_api.ProtocolContext):
    thermocycler = protocol.load_module("thermocyclerModuleV2")
    reactions_plate = thermocycler.load_labware(PCR_PLATE, "reactions")
    sources = protocol.load_labware(PCR_PLATE, DECK["source_slot"], "parts source plate")
    reservoir = protocol.load_labware(RESERVOIR, DECK["reservoir_slot"], "reagents")
    if DECK["trash"]:
        protocol.load_trash_bin(DECK["trash"])
    racks = [protocol.load_labware(DECK["tiprack"], slot) for slot in DECK["tip_slots"]]
    pipette = protocol.load_instrument(DECK["pipette"], "left", tip_racks=racks)
    state = {"tips": 0, "capacity": 96 * len(racks)}
    for well, part in PLAN["sources"]:
        protocol.comment(f"parts source plate {well}: {part}")

    def new_tip():
        if state["tips"] == state["capacity"]:
            protocol.pause("Replace the tip racks with full ones, then resume.")
            pipette.reset_tipracks()
            state["tips"] = 0
        pipette.pick_up_tip()
        state["tips"] += 1

    def move(volume, source, target, fresh):
        if fresh:
            new_tip()
        left = volume
        while left > 1e-9:
            step = min(left, pipette.max_volume)
            pipette.aspirate(step, source)
            pipette.dispense(step, target)
            left -= step
        if fresh:
            pipette.drop_tip()

    thermocycler.open_lid()
    thermocycler.set_block_temperature(4)
    for reagent in ("water", "master_mix"):
        new_tip()
        for r in PLAN["reactions"]:
            volume = r[reagent + "_ul"]
            if volume > 0:
                move(volume, reservoir[RESERVOIR_WELLS[reagent]], reactions_plate[r["well"]], False)
        pipette.drop_tip()
    for r in PLAN["reactions"]:
        for _part, well, volume in r["parts"]:
            move(volume, sources[well], reactions_plate[r["well"]], True)
    volume = PLAN["reaction_volume_ul"]
    thermocycler.close_lid()
    thermocycler.set_lid_temperature(PLAN["lid_c"])
    for profile in PLAN["assembly"]:
        run_profile(thermocycler, profile, volume)
    thermocycler.open_lid()
    if PLAN["transformation"]:
        cells = reservoir[RESERVOIR_WELLS["cells"]]
        add_to_all(move, PLAN["cells_ul"], cells, reactions_plate)
        volume += PLAN["cells_ul"]
        for profile in PLAN["transformation"]:
            run_profile(thermocycler, profile, volume)
        medium = reservoir[RESERVOIR_WELLS["recovery"]]
        add_to_all(move, PLAN["recovery_ul"], medium, reactions_plate)
        volume += PLAN["recovery_ul"]
        thermocycler.close_lid()
        for profile in PLAN["recovery"]:
            run_profile(thermocycler, profile, volume)
        thermocycler.open_lid()
    thermocycler.deactivate_lid()
    protocol.comment(f"{len(PLAN['reactions'])} Golden Gate reactions done")
    if PLAN["culture"]:
        inoculate(protocol, move, new_tip, pipette, reactions_plate, reservoir, PLAN["culture"])


def inoculate(protocol, move, new_tip, pipette, reactions_plate, reservoir, culture):
    big_rack = protocol.load_labware(DECK["big_tiprack"], DECK["big_tip_slot"])
    big = protocol.load_instrument(DECK["big_pipette"], "right", tip_racks=[big_rack])
    plate = None
    for index, spec in enumerate(culture["plates"]):
        if plate is None:
            plate = protocol.load_labware(CULTURE_PLATE, DECK["culture_slot"], "culture")
        else:
            protocol.pause(f"Replace the culture plate with an empty one for {spec['label']}.")
        protocol.comment(f"culture plate {spec['label']} in slot {DECK['culture_slot']}")
        medium = reservoir[culture["medium_wells"][index]]
        big.pick_up_tip()
        for well, _source in spec["wells"]:
            big.aspirate(culture["medium_ul"], medium)
            big.dispense(culture["medium_ul"], plate[well].top())
            big.blow_out()
        big.drop_tip()
        for well, source in spec["wells"]:
            if source is None:
                continue
            kind, origin = source
            where = reactions_plate[origin] if kind == "reaction" else reservoir[origin]
            move(culture["inoculum_ul"], where, plate[well], True)


def add_to_all(move, volume, source, plate):
    for r in PLAN["reactions"]:
        move(volume, source, plate[r["well"]], True)


def run_profile(thermocycler, profile, volume):
    steps = profile["steps"]
    if profile["repetitions"] == 1 and len(steps) == 1:
        step = steps[0]
        thermocycler.set_block_temperature(
            step["temperature"],
            hold_time_seconds=step["hold_time_seconds"],
            block_max_volume=volume,
        )
        return
    thermocycler.execute_profile(
        steps=steps, repetitions=profile["repetitions"], block_max_volume=volume
    )
"""
