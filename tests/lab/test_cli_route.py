"""``dbtl route``: propose, review, edit, approve, reject, export; bad input stores nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.lab.test_cli import dbtl
from tests.routes.fixtures import TARGET


def _count(db_file: Path, table: str) -> int:
    with sqlite3.connect(db_file) as connection:
        return int(connection.execute(f"select count(*) from {table}").fetchone()[0])


@pytest.fixture
def proposed(examples: Path, tmp_path: Path, monkeypatch, capsys) -> tuple[str, Path]:
    db_file = tmp_path / "routes.db"
    args = ("route", "propose", TARGET, "--stock", str(examples / "stock.csv"), "--max-steps", "2")
    code, out = dbtl(monkeypatch, capsys, *args, "--db", f"sqlite:///{db_file}")
    assert code == 0, out
    return f"sqlite:///{db_file}", db_file


def test_propose_prints_trees_and_stores_each_route_once(
    proposed, examples, monkeypatch, capsys
) -> None:
    db, db_file = proposed
    stored = _count(db_file, "route_version")
    assert stored >= 2
    args = ("route", "propose", TARGET, "--stock", str(examples / "stock.csv"), "--max-steps", "2")
    code, out = dbtl(monkeypatch, capsys, *args, "--json", "--db", db)
    assert code == 0
    routes = json.loads(out)
    assert routes[0]["steps"] == 2 and routes[0]["solved"]
    assert _count(db_file, "route_version") == stored
    code, out = dbtl(monkeypatch, capsys, "route", "review", "--db", db)
    assert "4-bromoaniline  [in stock]" in out and "proposed" in out


@pytest.mark.parametrize(
    ("target", "message"),
    [("C1CC(", "is not a valid SMILES"), ("Nc1ccc(Br)cc1", "is already in the stock")],
)
def test_bad_targets_exit_2_with_one_line_and_store_nothing(
    target: str, message: str, examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    db_file = tmp_path / "bad.db"
    code, out = dbtl(
        monkeypatch,
        capsys,
        "route",
        "propose",
        target,
        "--stock",
        str(examples / "stock.csv"),
        "--db",
        f"sqlite:///{db_file}",
    )
    assert code == 2 and message in out and len(out.strip().splitlines()) == 1
    assert _count(db_file, "route_version") == 0


def test_edit_makes_a_version_and_a_bad_edit_stores_nothing(proposed, monkeypatch, capsys) -> None:
    db, db_file = proposed
    before = _count(db_file, "route_version")
    code, out = dbtl(
        monkeypatch,
        capsys,
        "route",
        "edit",
        "1",
        "--set",
        "1.solvent=ether",
        "--by",
        "A. Chemist",
        "--note",
        "greener",
        "--db",
        db,
    )
    assert code == 0, out
    assert _count(db_file, "route_version") == before + 1
    code, out = dbtl(
        monkeypatch, capsys, "route", "edit", "1", "--swap-step", "1:heck_bromide", "--db", db
    )
    assert code == 2 and "does not apply" in out
    assert _count(db_file, "route_version") == before + 1
    code, out = dbtl(monkeypatch, capsys, "route", "review", "1", "--db", db)
    assert "superseded" in out


def test_approve_checks_the_recipe_against_the_lab(
    proposed, examples: Path, monkeypatch, capsys
) -> None:
    db, db_file = proposed
    lab = examples / "labs" / "route_bench.yaml"
    lacking = examples / "labs" / "lacking.yaml"
    lacking.write_text(
        "\n".join(line for line in lab.read_text().splitlines() if "Pd(PPh3)4" not in line)
    )
    code, out = dbtl(monkeypatch, capsys, "route", "review", "--db", db)
    suzuki_first = next(  # a route whose first step is the Suzuki coupling
        int(line.split()[1]) for line in out.splitlines() if line.startswith("route ")
    )
    code, out = dbtl(
        monkeypatch,
        capsys,
        "route",
        "approve",
        str(suzuki_first),
        "--lab",
        str(lacking),
        "--db",
        db,
    )
    assert code == 2 and "'Pd(PPh3)4' is not in the lab's reagent inventory" in out
    assert _count(db_file, "route_decision") == 0
    code, out = dbtl(
        monkeypatch,
        capsys,
        "route",
        "approve",
        str(suzuki_first),
        "--lab",
        str(lab),
        "--by",
        "A. Chemist",
        "--comment",
        "ok",
        "--db",
        db,
    )
    assert code == 0, out
    assert "approved by A. Chemist" in out
    assert _count(db_file, "route_decision") == 1


def test_a_temperature_beyond_the_heater_shaker_is_refused(
    proposed, examples: Path, monkeypatch, capsys
) -> None:
    db, db_file = proposed
    code, out = dbtl(
        monkeypatch,
        capsys,
        "route",
        "propose",
        TARGET,
        "--stock",
        str(examples / "stock.csv"),
        "--max-steps",
        "2",
        "--json",
        "--db",
        db,
    )
    first = json.loads(out)[0]
    assert first["route"]["steps"][0]["template_class"] == "suzuki"  # the top route: Suzuki first
    versions = _count(db_file, "route_version")
    code, out = dbtl(
        monkeypatch,
        capsys,
        "route",
        "edit",
        str(first["id"]),
        "--set",
        "1.temperature_c=110",
        "--db",
        db,
    )
    assert code == 0, out
    new_id = versions + 1
    assert _count(db_file, "route_version") == new_id
    code, out = dbtl(
        monkeypatch,
        capsys,
        "route",
        "approve",
        str(new_id),
        "--lab",
        str(examples / "labs" / "route_bench.yaml"),
        "--db",
        db,
    )
    assert code == 2 and "110 °C exceeds the heater-shaker's limit 95 °C" in out
    assert _count(db_file, "route_decision") == 0


def test_reject_and_export(proposed, monkeypatch, capsys) -> None:
    db, db_file = proposed
    code, out = dbtl(
        monkeypatch, capsys, "route", "reject", "2", "--reason", "Pd too dear", "--db", db
    )
    assert code == 0 and _count(db_file, "route_decision") == 1
    code, out = dbtl(monkeypatch, capsys, "route", "reject", "2", "--reason", "again", "--db", db)
    assert code == 2 and "already rejected" in out
    code, out = dbtl(
        monkeypatch, capsys, "route", "export", "1", "--format", "aizynthfinder", "--db", db
    )
    assert code == 0 and json.loads(out)[0]["type"] == "mol"


def test_an_approved_fixed_recipe_compiles_to_a_protocol_the_simulator_runs(
    proposed, examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    import io

    import opentrons.simulate

    db, _ = proposed
    lab = str(examples / "labs" / "route_bench.yaml")
    sets = [
        "1.temperature_c=85",
        "1.equivalents=1.3",
        "1.time_min=60",
        "1.solvent=ether",
        "2.temperature_c=25",
        "2.equivalents=1.2",
        "2.time_min=30",
        "2.solvent=chlorinated",
    ]
    args = [a for s in sets for a in ("--set", s)]
    code, out = dbtl(monkeypatch, capsys, "route", "edit", "1", *args, "--db", db)
    assert code == 0, out
    new_id = out.split()[2]
    code, out = dbtl(monkeypatch, capsys, "route", "compile", new_id, "--lab", lab, "--db", db)
    assert code == 2 and "not approved" in out
    code, out = dbtl(monkeypatch, capsys, "route", "approve", new_id, "--lab", lab, "--db", db)
    assert code == 0, out
    target = tmp_path / "route.py"
    code, out = dbtl(
        monkeypatch,
        capsys,
        "route",
        "compile",
        new_id,
        "--lab",
        lab,
        "--out",
        str(target),
        "--db",
        db,
    )
    assert code == 0, out
    log, _ = opentrons.simulate.simulate(io.StringIO(target.read_text()), "route.py")
    assert any("Heater-Shaker to 85" in entry["payload"]["text"] for entry in log)
    code, out = dbtl(monkeypatch, capsys, "route", "compile", "2", "--lab", lab, "--db", db)
    assert code == 2  # not approved
