"""The table-backed plate reader: composition → conditions inference, table lookup, noise, bench."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drivers.liquid_handler import (
    LiquidHandlerBackend,
    Movement,
    RobotCommand,
    RobotProgram,
    RunReport,
)
from simulators.plate_conditions import infer_conditions
from simulators.plate_world import PlateFillingBackend, PlateWorld
from simulators.yield_reader import TableYieldReader
from simulators.yield_table import (
    ConditionsError,
    YieldTable,
    YieldTableError,
    YieldTableSpec,
    canonical_smiles,
)
from tests.conftest import DATA, ROOT
from tests.hte_fixtures import deck

ARBR, ARCL = "Brc1ccccc1", "Clc1ccccc1"
BORONIC = "OB(O)c1ccccc1"
PPH3, PCY3 = "c1ccc(P(c2ccccc2)c2ccccc2)cc1", "C1CCC(P(C2CCCCC2)C2CCCCC2)CC1"
K2CO3, ET3N = "O=C([O-])[O-].[K+].[K+]", "CCN(CC)CC"
THF, MEOH = "C1CCOC1", "CO"
PD = "CC(=O)[O-].CC(=O)[O-].[Pd+2]"
COLUMNS = "halide_smiles,boron_smiles,ligand_smiles,base_smiles,solvent_smiles,yield"


def table_rows() -> list[str]:
    """Every combination, with yield = a code of its levels (so a wrong lookup shows)."""
    rows = []
    for h, halide in enumerate([ARBR, ARCL]):
        for ligand_index, ligand in enumerate(["", PPH3, PCY3]):
            for b, base in enumerate([K2CO3, ET3N]):
                for s, solvent in enumerate([THF, MEOH]):
                    value = 40 * h + 10 * ligand_index + 4 * b + s
                    rows.append(f"{halide},{BORONIC},{ligand},{base},{solvent},{value}")
    return rows


def write_table(tmp_path: Path, rows: list[str], header: str = COLUMNS) -> Path:
    path = tmp_path / "table.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def spec(path: Path, **overrides) -> YieldTableSpec:
    data = {
        "table": path,
        "limiting": "halide_smiles",
        "equivalents": {"boron_smiles": 1.5, "ligand_smiles": 0.1, "base_smiles": 2.0},
        "solvent": "solvent_smiles",
        "constant": {PD: 0.05},
    }
    return YieldTableSpec.model_validate(data | overrides)


def stock(name: str, well: str, species: str | None, smiles: str | None, conc: float | None):
    return {
        "name": name,
        "labware": "stocks",
        "well": well,
        "species": species,
        "smiles": smiles,
        "concentration_mol_l": conc,
        "volume_ul": 1900,
    }


# written as a chemist would, not canonical: the reader canonicalizes both sides
STOCKS = [
    stock("arbr", "A1", "ArBr", "c1ccc(Br)cc1", 0.5),
    stock("arcl", "A2", "ArCl", ARCL, 0.5),
    stock("boronic", "A3", "PhBOH2", "B(O)(O)c1ccccc1", 0.75),
    stock("pd", "A4", "PdOAc2", PD, 0.025),
    stock("pph3", "A5", "PPh3", PPH3, 0.05),
    stock("pcy3", "A6", "PCy3", PCY3, 0.05),
    stock("k2co3", "B1", "K2CO3", K2CO3, 1.0),
    stock("et3n", "B2", "Et3N", ET3N, 1.0),
    stock("kcl", "B3", "KCl", "[K+].[Cl-]", 1.0),
    stock("mystery", "B4", "mystery", None, 1.0),
    stock("thf", "C1", None, THF, None),
    stock("meoh", "C2", None, MEOH, None),
]
# 100 µL: 0.05 M halide (10 µL), 1.5 equiv boron, 0.05 Pd, 0.1 ligand, 2 base: 10 µL each
GOOD = {"arbr": 10, "boronic": 10, "pd": 10, "pph3": 10, "k2co3": 10, "thf": 50}


def bench() -> PlateWorld:
    world = PlateWorld()
    world.load_stocks(deck(stocks=STOCKS))
    return world


def fill(world: PlateWorld, well: str, parts: dict[str, float]) -> None:
    stocks = world.stocks()
    world.apply(
        Movement((stocks[name].labware, stocks[name].well), ("plate", well), volume)
        for name, volume in parts.items()
    )


@pytest.fixture
def table(tmp_path: Path) -> YieldTable:
    return YieldTable.load(spec(write_table(tmp_path, table_rows())))


def test_a_well_dispensed_as_the_table_ran_is_named_in_the_tables_terms(table) -> None:
    world = bench()
    fill(world, "A1", GOOD)
    conditions = infer_conditions(world.well("plate", "A1"), world.stocks(), table)
    assert conditions == {
        "halide_smiles": ARBR,
        "boron_smiles": BORONIC,
        "ligand_smiles": PPH3,
        "base_smiles": K2CO3,
        "solvent_smiles": THF,
    }
    assert table.truth(conditions) == 10  # ArBr, PPh3, K2CO3, THF


def test_the_reader_reports_composition_and_the_tables_yield(table) -> None:
    world = bench()
    fill(world, "A1", GOOD)
    fill(world, "B1", GOOD | {"arbr": 0, "arcl": 10, "pph3": 0, "pcy3": 10, "thf": 0, "meoh": 50})
    reader = TableYieldReader(world, table)
    readings = reader.read_plate("plate", ["A1", "B1"], "plate-1/reader")
    assert readings["A1"]["yield_pct"] == 10
    assert readings["B1"]["yield_pct"] == 40 + 20 + 1  # ArCl, PCy3, K2CO3, MeOH
    assert readings["A1"]["volume_ul"] == pytest.approx(100)
    assert readings["A1"]["ArBr_mol_l"] == pytest.approx(0.05)
    assert readings["A1"]["K2CO3_mol_l"] == pytest.approx(0.1)
    assert reader.unread == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"k2co3": 0, "thf": 60}, "no reagent of base_smiles"),
        ({"arbr": 0, "thf": 60}, "no reagent of halide_smiles"),
        ({"pcy3": 10, "thf": 40}, "2 reagents of ligand_smiles"),
        ({"k2co3": 5, "thf": 55}, "base_smiles at 1 equivalents"),
        ({"kcl": 5, "thf": 45}, "belong to no column"),
        ({"pd": 0, "thf": 60}, f"constant {PD} is missing"),
        ({"thf": 25, "meoh": 25}, "mixed solvents"),
        ({"mystery": 5, "thf": 45}, "'mystery' has no SMILES"),
        ({"thf": 0}, "solvent (none dispensed) is not among the table's solvents"),
    ],
)
def test_a_wrong_dispense_matches_no_reaction_and_reads_no_yield(table, change, message) -> None:
    world = bench()
    fill(world, "A1", GOOD | change)
    with pytest.raises(ConditionsError, match=re.escape(message)):
        infer_conditions(world.well("plate", "A1"), world.stocks(), table)
    reader = TableYieldReader(world, table)
    readings = reader.read_plate("plate", ["A1"], "k")
    assert "yield_pct" not in readings["A1"] and readings["A1"]["volume_ul"] > 0
    assert message.split(" (")[0] in reader.unread["A1"]


def test_an_empty_well_is_not_a_reaction(table) -> None:
    world = bench()
    with pytest.raises(ConditionsError, match="the well is empty"):
        infer_conditions(world.well("plate", "H12"), world.stocks(), table)


def test_nothing_added_is_a_level_when_the_table_has_such_reactions(table) -> None:
    world = bench()
    fill(world, "A1", GOOD | {"pph3": 0, "thf": 60})
    conditions = infer_conditions(world.well("plate", "A1"), world.stocks(), table)
    assert conditions["ligand_smiles"] == "" and table.truth(conditions) == 0


def test_equivalents_left_open_accept_any_amount(tmp_path: Path) -> None:
    table = YieldTable.load(
        spec(
            write_table(tmp_path, table_rows()),
            equivalents={"boron_smiles": 1.5, "ligand_smiles": 0.1, "base_smiles": None},
        )
    )
    world = bench()
    fill(world, "A1", GOOD | {"k2co3": 3, "thf": 57})
    assert infer_conditions(world.well("plate", "A1"), world.stocks(), table)["base_smiles"] == (
        K2CO3
    )


def test_noise_is_seeded_by_the_read_key_and_stays_within_the_tables_range(
    tmp_path: Path,
) -> None:
    table = YieldTable.load(spec(write_table(tmp_path, table_rows()), noise_sd=5.0))
    world = bench()
    fill(world, "A1", GOOD)
    reader = TableYieldReader(world, table)
    first = reader.read_plate("plate", ["A1"], "plate-1/reader")["A1"]["yield_pct"]
    again = reader.read_plate("plate", ["A1"], "plate-1/reader")["A1"]["yield_pct"]
    other = [
        reader.read_plate("plate", ["A1"], f"plate-{i}/reader")["A1"]["yield_pct"]
        for i in range(2, 40)
    ]
    assert first == again and first != 10
    assert len(set(other)) > 30
    assert all(table.range[0] <= v <= table.range[1] for v in other)
    assert abs(sum(other) / len(other) - 10) < 3  # centred on the truth


def test_repeated_reactions_are_averaged(tmp_path: Path) -> None:
    rows = [
        f"{ARBR},{BORONIC},{PPH3},{K2CO3},{THF},40",
        f"{ARBR},{BORONIC},{PPH3},{K2CO3},{THF},60",
    ]
    table = YieldTable.load(spec(write_table(tmp_path, rows)))
    assert table.values == {(ARBR, BORONIC, PPH3, K2CO3, THF): 50.0}
    assert table.best() == 50.0


def test_a_combination_the_table_lacks_is_not_invented(tmp_path: Path) -> None:
    rows = [r for r in table_rows() if not (r.startswith(ARCL) and f",{ET3N}," in r)]
    table = YieldTable.load(spec(write_table(tmp_path, rows)))
    world = bench()
    fill(world, "A1", GOOD | {"arbr": 0, "arcl": 10, "k2co3": 0, "et3n": 10})
    conditions = infer_conditions(world.well("plate", "A1"), world.stocks(), table)
    with pytest.raises(ConditionsError, match="the table has no reaction with"):
        table.truth(conditions)
    assert "yield_pct" not in TableYieldReader(world, table).read_plate("plate", ["A1"], "k")["A1"]


@pytest.mark.parametrize(
    ("header", "rows", "overrides", "message"),
    [
        (COLUMNS.replace("base_smiles", "bases"), None, {}, "has no column(s) base_smiles"),
        (None, [f"{ARBR},{BORONIC},{PPH3},{PPH3},{THF},1"], {}, "share"),
        (None, [f"{ARBR},{BORONIC},not-a-smiles,{K2CO3},{THF},1"], {}, "invalid SMILES"),
        (None, [f"{ARBR},{BORONIC},{PPH3},{K2CO3},{THF},high"], {}, "is not numeric"),
    ],
)
def test_a_table_that_does_not_fit_its_spec_is_refused(
    tmp_path: Path, header, rows, overrides, message
) -> None:
    path = write_table(tmp_path, rows or table_rows(), header or COLUMNS)
    with pytest.raises(YieldTableError, match=re.escape(message)):
        YieldTable.load(spec(path, **overrides))


def test_a_column_may_have_one_role_only(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="more than one role"):
        spec(tmp_path / "t.csv", solvent="halide_smiles")
    with pytest.raises(ValueError, match="must be > 0"):
        spec(tmp_path / "t.csv", equivalents={"base_smiles": 0})


@pytest.mark.parametrize("compressed", [False, True])
def test_the_published_suzuki_table_loads_as_an_oracle(compressed: bool) -> None:
    if compressed:  # the copy shipped with the simulators
        path = ROOT / "simulators" / "data" / "suzuki_miyaura_edbo_subset_3696.csv.gz"
    else:
        path = DATA / "suzuki_miyaura_perera2018" / "suzuki_miyaura_edbo_subset_3696.csv"
        if not path.exists():
            pytest.skip(f"published dataset {path} not found; set DBTL_DATA_DIR")
    table = YieldTable.load(
        YieldTableSpec(
            table=path,
            limiting="reactant_1_smiles",
            equivalents={"reactant_2_smiles": 1.2, "ligand_smiles": 0.1, "base_smiles": 2.0},
            solvent="solvent_smiles",
        )
    )
    assert len(table.values) == 3696 and table.best() == 100.0
    first_row = {  # row 1 of the CSV
        "reactant_1_smiles": "Clc1ccc2ncccc2c1",
        "reactant_2_smiles": "Cc1ccc2c(cnn2C2CCCCO2)c1B(O)O",
        "ligand_smiles": "CC(C)(C)P(C(C)(C)C)C(C)(C)C",
        "base_smiles": "[Na+].[OH-]",
        "solvent_smiles": "CC#N",
    }
    assert table.truth(first_row) == pytest.approx(4.76410921845962)
    assert len(table.levels["ligand_smiles"]) == 11


def test_canonical_smiles_makes_spellings_equal() -> None:
    assert canonical_smiles("c1ccc(Br)cc1") == canonical_smiles(ARBR) == ARBR
    assert canonical_smiles("") == ""
    with pytest.raises(ValueError, match="invalid SMILES"):
        canonical_smiles("C1CC")


# ------------------------------------------------------------------ the bench


class ScriptedRobot(LiquidHandlerBackend):
    """Reports runs that moved 10 µL of arbr into plate/A1, or failed."""

    def __init__(self) -> None:
        self.reports: dict[str, RunReport] = {}

    def identify(self):
        raise NotImplementedError

    def run(self, program: RobotProgram, key: str, timeout_s: float) -> RunReport:
        status = "failed" if "bad" in key else "succeeded"
        self.reports[key] = RunReport(
            "r", status, _commands(), labware={"L1": "stocks", "L2": "plate"}
        )
        return self.reports[key]

    def recall(self, key: str) -> RunReport | None:
        return self.reports.get(key)

    def stop(self) -> None:
        pass


def _commands() -> tuple[RobotCommand, ...]:
    def command(kind: str, labware: str, well: str) -> RobotCommand:
        params = {"labwareId": labware, "wellName": well, "pipetteId": "p", "volume": 10.0}
        return RobotCommand(kind, "succeeded", params)

    return (command("aspirate", "L1", "A1"), command("dispense", "L2", "A1"))


def test_each_run_starts_on_a_fresh_deck_and_a_recalled_run_refills_the_bench() -> None:
    world = bench()
    robot = ScriptedRobot()
    backend = PlateFillingBackend(robot, world)
    program = RobotProgram("p.py", "x", "OT-2")
    backend.run(program, "plate-1", 10)
    backend.run(program, "plate-2", 10)
    assert world.well("plate", "A1").volume_ul == pytest.approx(10)  # not 20: a new plate
    assert world.well("stocks", "A1").volume_ul == pytest.approx(1890)  # stocks topped up
    assert world.well("plate", "A1").stock_volumes_ul == {"arbr": pytest.approx(10)}
    world.fresh_run([])  # e.g. a new process after a crash: the bench knows nothing
    assert world.well("plate", "A1").volume_ul == 0
    assert backend.recall("plate-2") is not None
    assert world.well("plate", "A1").volume_ul == pytest.approx(10)
    assert backend.recall("never") is None
    world.fresh_run([])
    backend.run(program, "bad-plate", 10)
    assert world.well("plate", "A1").volume_ul == 0  # a failed run fills nothing
