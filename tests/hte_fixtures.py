"""Decks, recipes and designs shared by the liquid-handling tests."""

from __future__ import annotations

from typing import Any

from protocols.deck import Deck
from protocols.hte import PlateRecipe


def deck(robot_type: str = "OT-2", **overrides: Any) -> Deck:
    """A small HTE deck: two pipettes, a tube rack of stocks, a 96-well plate."""
    flex = robot_type == "Flex"
    data: dict[str, Any] = {
        "robot_type": robot_type,
        "pipettes": [
            {
                "mount": "left",
                "load_name": "flex_1channel_50" if flex else "p20_single_gen2",
                "tipracks": ["tips_small"],
            },
            {
                "mount": "right",
                "load_name": "flex_1channel_1000" if flex else "p300_single_gen2",
                "tipracks": ["tips_large"],
            },
        ],
        "labware": [
            {
                "name": "tips_small",
                "load_name": "opentrons_flex_96_tiprack_50ul"
                if flex
                else "opentrons_96_tiprack_20ul",
                "slot": "C1" if flex else "1",
            },
            {
                "name": "tips_large",
                "load_name": "opentrons_flex_96_tiprack_1000ul"
                if flex
                else "opentrons_96_tiprack_300ul",
                "slot": "C2" if flex else "4",
            },
            {
                "name": "stocks",
                "load_name": "opentrons_24_tuberack_nest_2ml_snapcap",
                "slot": "D1" if flex else "2",
            },
            {
                "name": "plate",
                "load_name": "corning_96_wellplate_360ul_flat",
                "slot": "D2" if flex else "3",
            },
        ],
        "stocks": [
            {
                "name": "halide",
                "labware": "stocks",
                "well": "A1",
                "species": "ArBr",
                "concentration_mol_l": 0.5,
                "volume_ul": 1900,
            },
            {
                "name": "cat_a",
                "labware": "stocks",
                "well": "A2",
                "species": "PdA",
                "concentration_mol_l": 0.01,
                "volume_ul": 1900,
            },
            {
                "name": "cat_b",
                "labware": "stocks",
                "well": "A3",
                "species": "PdB",
                "concentration_mol_l": 0.01,
                "volume_ul": 1900,
                "smiles": "CC(=O)O",
            },
            {
                "name": "base",
                "labware": "stocks",
                "well": "B1",
                "species": "DBU",
                "concentration_mol_l": 2.0,
                "volume_ul": 1900,
            },
            {"name": "dmso", "labware": "stocks", "well": "C1", "volume_ul": 1900},
        ],
    }
    data.update(overrides)
    return Deck.model_validate(data)


def recipe(**overrides: Any) -> PlateRecipe:
    """0.1 M halide in 150 µL; 2 mol% catalyst and base equivalents set by parameters."""
    data: dict[str, Any] = {
        "liquid_handler": "lh",
        "plate": "plate",
        "reaction_volume_ul": 150,
        "limiting": {"role": "halide", "stock": "halide", "concentration_mol_l": 0.1},
        "reagents": [
            {"role": "catalyst", "choose_by": "catalyst", "equivalents": 0.02},
            {"role": "base", "stock": "base", "equivalents": "base_equiv"},
        ],
        "solvent": {"role": "solvent", "stock": "dmso"},
        "mix_repetitions": 2,
    }
    data.update(overrides)
    return PlateRecipe.model_validate(data)


def designs(n: int) -> list[tuple[int, dict[str, Any]]]:
    """``n`` designs alternating the catalyst, with rising base equivalents."""
    return [
        (i + 1, {"catalyst": "cat_a" if i % 2 else "cat_b", "base_equiv": 1.0 + 0.1 * i})
        for i in range(n)
    ]
