import io
import re

import opentrons.simulate
import pytest

from planner.pathway.design import Construct
from planner.pathway.parts import Part, PartsLibrary
from protocols.assembly_check import AssemblyRefused, preflight, preflight_all
from protocols.errors import ProtocolError
from protocols.golden_gate import GoldenGateSettings, part_volume_ul, plan_golden_gate
from protocols.golden_gate_ot import compile_golden_gate
from simulators.pathway.library import BSAI_SITE
from tests.pathway_fixtures import small_library, small_space


def _constructs(n: int) -> list[Construct]:
    space = small_space()
    rows = space.candidates().rows()
    return [space.construct(r, f"c{i}") for i, r in enumerate(rows[:: len(rows) // n][:n])]


def _replaced(library: PartsLibrary, part: Part) -> PartsLibrary:
    return PartsLibrary(tuple(part if p.id == part.id else p for p in library.parts))


def test_equimolar_volume_follows_length_and_concentration() -> None:
    part = Part("x", "cds", sequence="A" * 1000, concentration_ng_ul=13.0)
    assert part_volume_ul(part, 20.0) == pytest.approx(1.0)  # 20 fmol × 1000 bp = 13 ng


def test_plan_doses_every_part_and_fills_with_water() -> None:
    library = small_library()
    plan = plan_golden_gate(_constructs(4), library)
    reaction = plan.reactions[0]
    assert [d.part_id for d in reaction.parts] == list(reaction.construct.part_ids)
    total = sum(d.volume_ul for d in reaction.parts) + reaction.master_mix_ul + reaction.water_ul
    assert total == pytest.approx(40.0, abs=0.02)
    assert plan.assembly_program[0].repetitions == 30


def test_plan_refuses_a_dose_below_the_pipette_minimum() -> None:
    library = small_library()
    strong = library.get("crtE")
    library = _replaced(library, Part(**{**strong.__dict__, "concentration_ng_ul": 500.0}))
    with pytest.raises(ProtocolError, match=r"part crtE needs .* dilute its stock"):
        plan_golden_gate(_constructs(2), library)


def test_preflight_simulates_the_assembly() -> None:
    results = preflight_all(_constructs(3), small_library())
    lengths = {r.length_bp for r in results}
    assert all(4000 < n < 10000 for n in lengths)


def test_internal_bsai_site_is_refused_naming_the_part() -> None:
    library = small_library()
    cds = library.get("crtI")
    middle = len(cds.sequence) // 2
    bad = cds.sequence[:middle] + BSAI_SITE + cds.sequence[middle + 6 :]
    library = _replaced(library, Part(**{**cds.__dict__, "sequence": bad}))
    with pytest.raises(AssemblyRefused, match=r"part crtI has an internal BsaI site at bp \d+"):
        preflight(_constructs(1)[0], library)


def test_overhangs_that_do_not_chain_are_refused_naming_part_and_overhang() -> None:
    library = small_library()
    construct = _constructs(1)[0]
    parts = list(construct.part_ids)
    parts[2] = "R2_weak"  # gene 2's RBS in gene 1's slot
    with pytest.raises(
        AssemblyRefused, match=r"overhang [ACGT]{4} after part P1_\w+ does not join part R2_weak"
    ):
        preflight(Construct("bad", tuple(parts)), library)
    twice = Construct("twice", (*construct.part_ids[:5], *construct.part_ids[1:5]))
    with pytest.raises(AssemblyRefused):
        preflight(twice, library)


def _simulate(text: str, filename: str) -> list[str]:
    runlog, _ = opentrons.simulate.simulate(io.StringIO(text), filename)
    return [entry["payload"]["text"] for entry in runlog]


@pytest.mark.parametrize("robot_type", ["OT-2", "Flex"])
def test_golden_gate_compiles_and_simulates_every_dose(robot_type: str) -> None:
    library = small_library()
    plan = plan_golden_gate(_constructs(3), library, GoldenGateSettings(transformation=True))
    compiled = compile_golden_gate(plan, robot_type, "t1")  # type: ignore[arg-type]
    log = _simulate(compiled.text, compiled.filename)
    dispensed = [
        round(float(m.group(1)), 2)
        for line in log
        if (m := re.match(r"Dispensing ([\d.]+) uL into (\w+) of reactions", line))
    ]
    planned = [d.volume_ul for r in plan.reactions for d in r.parts]
    planned += [r.water_ul for r in plan.reactions] + [r.master_mix_ul for r in plan.reactions]
    # cells, and recovery medium (in two strokes of the OT-2's 20 µL pipette)
    planned += ([20.0, 20.0, 10.0] if robot_type == "OT-2" else [20.0, 30.0]) * 3
    assert sorted(dispensed) == sorted(round(v, 2) for v in planned)
    assert log[-1] == "3 Golden Gate reactions done"


@pytest.mark.slow
def test_a_96_construct_batch_compiles_and_passes_opentrons_simulate() -> None:
    space = small_space()
    rows = space.candidates().rows()
    constructs = [space.construct(r, f"c{i}") for i, r in enumerate(rows[::5][:96])]
    plan = plan_golden_gate(constructs, small_library())
    compiled = compile_golden_gate(plan, "OT-2", "b96")
    log = _simulate(compiled.text, compiled.filename)
    assert sum(line.startswith("Picking up tip") for line in log) == 96 * 17 + 2
    assert any("Replace the tip racks" in line for line in log)
