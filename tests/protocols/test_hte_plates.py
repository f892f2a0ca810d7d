import math

import pytest
from pydantic import ValidationError

from protocols.errors import ProtocolError, ProtocolValidationError
from protocols.hte import build_plate, plate_well_map, readings_by_experiment
from protocols.liquid_validation import plate_violations
from protocols.protocol import Protocol
from protocols.steps import Mix, ReadPlate, Transfer, WellRef
from protocols.validation import DeviceLimits, check_protocol
from tests.hte_fixtures import deck, designs, recipe


def test_volumes_follow_from_concentrations_and_equivalents() -> None:
    plan = build_plate([(7, {"catalyst": "cat_a", "base_equiv": 1.5})], recipe(), deck(), "p")
    content = plan.contents[plan.well_map[7]]
    # 0.1 M x 150 µL = 15 µmol halide: 30 µL of 0.5 M; 2 mol% Pd: 0.3 µmol = 30 µL of 0.01 M;
    # 1.5 equiv DBU: 22.5 µmol = 11.25 µL of 2 M; DMSO fills to 150 µL.
    assert content.volumes_ul == pytest.approx(
        {"halide": 30.0, "cat_a": 30.0, "base": 11.25, "dmso": 78.75}
    )
    assert sum(content.volumes_ul.values()) == pytest.approx(150.0)
    assert content.concentrations_mol_l == pytest.approx({"ArBr": 0.1, "PdA": 0.002, "DBU": 0.15})
    assert content.stocks_by_role == {
        "halide": "halide",
        "catalyst": "cat_a",
        "base": "base",
        "solvent": "dmso",
    }


def test_plate_steps_go_stock_by_stock_and_mix_every_well() -> None:
    plan = build_plate(designs(4), recipe(), deck(), "p")
    transfers = [s for s in plan.protocol.steps if isinstance(s, Transfer)]
    sources = [s.source.well for s in transfers]
    # solvent first, then the limiting reagent, then each catalyst and the base
    assert sources[:4] == ["C1"] * 4 and sources[4:8] == ["A1"] * 4
    assert sorted(set(sources[8:12])) == ["A2", "A3"] and sources[12:] == ["B1"] * 4
    mixes = [s for s in plan.protocol.steps if isinstance(s, Mix)]
    assert [m.well.well for m in mixes] == list(plan.well_map.values())
    assert all(t.new_tip for t in transfers)


def test_wells_in_plate_order_or_seeded_random_and_recorded() -> None:
    ordered = build_plate(designs(3), recipe(), deck(), "p")
    assert ordered.well_map == {1: "A1", 2: "B1", 3: "C1"}
    one = build_plate(designs(10), recipe(randomize_wells=True, seed=5), deck(), "p")
    two = build_plate(designs(10), recipe(randomize_wells=True, seed=5), deck(), "p")
    other = build_plate(designs(10), recipe(randomize_wells=True, seed=6), deck(), "p")
    assert one.well_map == two.well_map != other.well_map
    assert len(set(one.well_map.values())) == 10
    assert plate_well_map(one.protocol) == one.well_map
    assert one.protocol.metadata["seed"] == 5 and one.protocol.metadata["randomized"]


def test_readings_map_back_to_experiments_and_missing_wells_are_named() -> None:
    plan = build_plate(designs(2), recipe(), deck(), "p")
    readings = {"A1": {"yield_pct": 40.0}, "B1": {"yield_pct": 55.0}, "H12": {"yield_pct": 0.0}}
    assert readings_by_experiment(plan.well_map, readings) == {
        1: {"yield_pct": 40.0},
        2: {"yield_pct": 55.0},
    }
    with pytest.raises(ProtocolError, match="lacks well"):
        readings_by_experiment(plan.well_map, {"A1": {"yield_pct": 1.0}})


def test_per_stock_tip_policy_keeps_one_tip_per_stock_and_dispenses_from_above() -> None:
    plan = build_plate(designs(4), recipe(tip_policy="per_stock", mix_repetitions=0), deck(), "p")
    transfers = [s for s in plan.protocol.steps if isinstance(s, Transfer)]
    new_tips = [t.source.well for t in transfers if t.new_tip]
    assert new_tips == ["C1", "A1", "A3", "A2", "B1"]  # one per stock
    assert {t.dispense_position for t in transfers} == {"top"}
    assert plate_violations(plan.protocol, "lh", deck()) == []


def test_large_volumes_are_split_to_fit_the_largest_pipette() -> None:
    big = recipe(
        reaction_volume_ul=340,
        limiting={"role": "halide", "stock": "halide", "concentration_mol_l": 0.01},
    )
    plan = build_plate(designs(1), big, deck(), "p")
    solvent = [s for s in plan.protocol.steps if isinstance(s, Transfer) and s.source.well == "C1"]
    assert len(solvent) == 2 and all(s.volume_ul <= 300 for s in solvent)
    assert sum(s.volume_ul for s in solvent) == pytest.approx(
        plan.contents["A1"].volumes_ul["dmso"]
    )


@pytest.mark.parametrize(
    ("design", "message"),
    [
        ({"catalyst": "cat_z", "base_equiv": 1.0}, "catalyst=.cat_z. names no stock"),
        ({"catalyst": "cat_a"}, "needs parameter 'base_equiv'"),
        ({"catalyst": "cat_a", "base_equiv": 30.0}, "more than the reaction volume"),
        ({"catalyst": "cat_a", "base_equiv": "lots"}, "non-negative number"),
    ],
)
def test_impossible_designs_name_the_experiment_and_the_cause(design: dict, message: str) -> None:
    with pytest.raises(ProtocolError, match=f"experiment 3: .*{message}"):
        build_plate([(3, design)], recipe(), deck(), "p")


def test_molecule_values_pick_stocks_by_smiles_and_too_many_designs_fail() -> None:
    plan = build_plate([(1, {"catalyst": "CC(=O)O", "base_equiv": 1.0})], recipe(), deck(), "p")
    assert "cat_b" in plan.contents["A1"].volumes_ul
    with pytest.raises(ProtocolError, match="do not fit the 2 usable wells"):
        build_plate(designs(3), recipe(wells=("A1", "A2")), deck(), "p")


def test_recipe_and_deck_errors_are_caught_when_loading() -> None:
    with pytest.raises(ValidationError, match="exactly one of stock or choose_by"):
        recipe(solvent={"role": "solvent"})
    with pytest.raises(
        ValidationError, match=r"unknown labware 'corning_96_wellplate_360ul_flt'.*did you mean"
    ):
        deck(
            labware=[{"name": "plate", "load_name": "corning_96_wellplate_360ul_flt", "slot": "3"}]
        )
    with pytest.raises(ValidationError, match="not a supported OT-2 pipette"):
        deck(
            pipettes=[
                {"mount": "left", "load_name": "flex_1channel_50", "tipracks": ["tips_small"]}
            ]
        )
    with pytest.raises(ValidationError, match="does not fit in stocks/A1"):
        deck(stocks=[{"name": "s", "labware": "stocks", "well": "A1", "volume_ul": 5000}])


def _protocol(*steps: Transfer | Mix) -> Protocol:
    return Protocol(name="hand-written", steps=steps)


def _t(source: str, dest: str, volume: float, **kw: object) -> Transfer:
    return Transfer(
        device="lh",
        source=WellRef(labware="stocks", well=source),
        destination=WellRef(labware="plate", well=dest),
        volume_ul=volume,
        **kw,
    )


def test_static_validation_names_step_well_stock_and_pipette() -> None:
    d = deck()
    assert any(
        "step 1 (transfer): 0.5 µL is outside every pipette's range" in v
        for v in plate_violations(_protocol(_t("A1", "A1", 0.5)), "lh", d)
    )
    overflow = _protocol(*[_t("C1", "B2", 150.0) for _ in range(3)])
    assert any(
        "well plate/B2 overflows at step 3" in v for v in plate_violations(overflow, "lh", d)
    )
    draining = _protocol(*[_t("A1", f"{r}{c}", 200.0) for r in "ABCDEFGH" for c in (1, 2)])
    found = plate_violations(draining, "lh", d)
    assert any(
        "stock 'halide' (stocks/A1) is insufficient" in v and "runs short at step 10" in v
        for v in found
    )
    keep = _protocol(_t("A1", "A1", 50.0), _t("A2", "A2", 50.0, new_tip=False))
    assert any("step 2 (transfer): keeps the tip" in v for v in plate_violations(keep, "lh", d))
    bad_well = _protocol(_t("E9", "A1", 50.0))
    assert plate_violations(bad_well, "lh", d) == [
        "step 1 (transfer): labware stocks (opentrons_24_tuberack_nest_2ml_snapcap) has no well E9"
    ]


def test_tip_count_and_check_protocol_reports_through_the_lab_limits() -> None:
    plan = build_plate(designs(40), recipe(mix_repetitions=3), deck(), "p")
    limits = {"lh": DeviceLimits(kind="liquid_handler", deck=deck())}
    with pytest.raises(ProtocolValidationError, match=r"p300_single_gen2 \(right\) needs \d+ tips"):
        check_protocol(plan.protocol, limits)
    small = build_plate(designs(4), recipe(), deck(), "p")
    check_protocol(small.protocol, limits)
    with pytest.raises(ProtocolValidationError, match="lh is a pump, not a liquid_handler"):
        check_protocol(small.protocol, {"lh": DeviceLimits(kind="pump")})
    with pytest.raises(ProtocolValidationError, match="has no deck"):
        check_protocol(small.protocol, {"lh": DeviceLimits(kind="liquid_handler")})


def test_steps_are_frozen_printable_and_hashable() -> None:
    step = _t("A1", "B3", 25.0)
    assert step.summary() == "transfer: 25 µL stocks/A1 → plate/B3 (lh)"
    read = ReadPlate(device="reader", labware="plate", wells=("A1",))
    assert "read_plate" in read.summary()
    with pytest.raises(ValidationError):
        step.volume_ul = 3.0  # type: ignore[misc]
    one = build_plate(designs(3), recipe(), deck(), "p").protocol
    assert one.digest() == build_plate(designs(3), recipe(), deck(), "p").protocol.digest()
    assert math.isclose(
        sum(t.volume_ul for t in one.steps if isinstance(t, Transfer)), 450, rel_tol=1e-4
    )


def test_a_volume_that_rounds_to_nothing_names_the_stock() -> None:
    """A stock far too concentrated gives a protocol error, never an invalid step."""
    plain = deck()
    stocks = [
        s.model_copy(update={"concentration_mol_l": 1e5}) if s.name == "halide" else s
        for s in plain.stocks
    ]
    concentrated = plain.model_copy(update={"stocks": type(plain.stocks)(stocks)})
    with pytest.raises(ProtocolError, match="stock 'halide', which rounds to 0 µL: dilute"):
        build_plate([(1, {"catalyst": "cat_a", "base_equiv": 1.5})], recipe(), concentrated, "p")
