"""A batch of pathway designs as one build-and-test plate, and its readings as titers."""

from __future__ import annotations

import pytest

from protocols.assembly_check import preflight
from protocols.errors import ProtocolError
from protocols.pathway_plate import (
    PathwayPlateSettings,
    build_pathway_plate,
    pathway_outcomes,
)
from protocols.plate_assay import AssaySettings
from protocols.steps import Incubate, ReadPlate, RunRobotProgram
from tests.pathway_fixtures import small_library, small_space

SETTINGS = PathwayPlateSettings(
    liquid_handler="ot2", robot_type="OT-2", incubator="incubator", plate_reader="reader"
)


def _plan(count: int, seed: int = 0):
    space = small_space()
    rows = space.candidates().rows()[:count]
    library = small_library()
    settings = SETTINGS
    if seed:
        from dataclasses import replace

        from protocols.plate_layout import LayoutSettings

        settings = replace(SETTINGS, layout=LayoutSettings(seed=seed))
    return build_pathway_plate(
        [(10 + i, r) for i, r in enumerate(rows)],
        space,
        settings,
        "p",
        lambda c: preflight(c, library),
    )


def test_a_plate_builds_grows_and_reads_every_culture_plate() -> None:
    plan = _plan(40)  # 30 constructs in triplicate + 6 controls per culture plate
    kinds = [type(s) for s in plan.protocol.steps]
    assert kinds == [RunRobotProgram, Incubate, ReadPlate, ReadPlate]
    robot = plan.protocol.steps[0]
    assert isinstance(robot, RunRobotProgram) and len(robot.constructs) == 40
    assert robot.constructs[0][1][0] in {"pSC101", "p15A"}  # the backbone first
    wells = plan.well_map[10].split()
    assert len(wells) == 3 and all(w.startswith("culture_1/") for w in wells)
    controls = plan.protocol.metadata["controls"]["culture_1"]
    counts = {k: len(v) for k, v in controls.items()}
    assert counts == {"empty_vector": 2, "reference": 2, "blank": 2}


def test_positions_are_seeded_and_differ_between_seeds() -> None:
    assert _plan(5).well_map == _plan(5).well_map
    assert _plan(5).well_map != _plan(5, seed=3).well_map


def _readings(plan, od: dict[str, float], titer_mg_l: float) -> dict[str, dict[str, float]]:
    curve = AssaySettings().curve
    out = {}
    meta = plan.protocol.metadata
    for plate, roles in meta["controls"].items():
        for role, wells in roles.items():
            for w in wells:
                grown = role != "blank"
                out[f"{plate}/{w}"] = {
                    "absorbance_600nm": 0.05 + (1.0 if grown else 0.0),
                    "absorbance_472nm": 0.05,
                }
    for entry in meta["constructs"].values():
        for w in entry["culture_wells"]:
            out[w] = {
                "absorbance_600nm": 0.05 + od.get(w, 2.0),
                "absorbance_472nm": 0.05 + curve.slope_per_mg_l * titer_mg_l,
            }
    return out


def test_titer_is_the_mean_of_live_replicates_and_a_dead_construct_fails() -> None:
    plan = _plan(3)
    meta = plan.protocol.metadata["constructs"]
    dead = {w: 0.0 for w in meta["10"]["culture_wells"]}
    one_dead = {meta["11"]["culture_wells"][0]: 0.0}
    readings = _readings(plan, dead | one_dead, 500.0)
    outcomes = pathway_outcomes(plan.protocol, readings, AssaySettings())
    assert isinstance(outcomes[10], str) and "no growth in any of its 3 wells" in outcomes[10]
    assert "not a zero titer" in outcomes[10]
    eleven = outcomes[11]
    assert isinstance(eleven, dict)
    assert eleven["titer_mg_l"] == pytest.approx(500.0, rel=1e-6)
    assert eleven["live_wells"] == 2 and eleven["titer_per_od"] == pytest.approx(250.0, rel=1e-6)


def test_a_plate_where_not_even_the_empty_vector_grew_fails_every_experiment() -> None:
    plan = _plan(2)
    readings = _readings(plan, {}, 100.0)
    for w in plan.protocol.metadata["controls"]["culture_1"]["empty_vector"]:
        readings[f"culture_1/{w}"]["absorbance_600nm"] = 0.05
    outcomes = pathway_outcomes(plan.protocol, readings, AssaySettings())
    assert all(isinstance(o, str) and "empty-vector control" in o for o in outcomes.values())


def test_a_missing_well_is_an_error_not_a_zero() -> None:
    plan = _plan(2)
    readings = _readings(plan, {}, 100.0)
    del readings[plan.protocol.metadata["constructs"]["10"]["culture_wells"][0]]
    with pytest.raises(ProtocolError, match="no reading for well"):
        pathway_outcomes(plan.protocol, readings, AssaySettings())


@pytest.mark.slow
@pytest.mark.parametrize("robot_type", ["OT-2", "Flex"])
def test_the_build_and_inoculation_program_passes_the_opentrons_simulator(robot_type: str) -> None:
    from dataclasses import replace

    from simulators.opentrons_sim import simulate_run

    space, library = small_space(), small_library()
    rows = space.candidates().rows()[::7][:35]  # two culture plates
    settings = replace(SETTINGS, robot_type=robot_type)
    plan = build_pathway_plate(
        list(enumerate(rows, start=1)), space, settings, "t", lambda c: preflight(c, library)
    )
    robot = plan.protocol.steps[0]
    assert isinstance(robot, RunRobotProgram)
    run = simulate_run(robot.text, robot.filename)
    assert run.status == "succeeded", run.errors
    comments = [c["params"]["message"] for c in run.commands if c["commandType"] == "comment"]
    assert [m for m in comments if m.startswith("culture plate")] == [
        f"culture plate culture_{k} in slot {'9' if robot_type == 'OT-2' else 'D2'}" for k in (1, 2)
    ]
    sources = [m for m in comments if m.startswith("parts source plate")]
    assert len(sources) == len({p for r in rows for p in space.construct(r).part_ids})
