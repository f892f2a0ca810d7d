"""The dbtl command line: happy paths, and bad input (one clear line, exit 2, nothing changed)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pandas as pd
import pytest

from datastore import Datastore
from lab.cli.main import main


def dbtl(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run ``dbtl ARGS`` in-process; return (exit code, everything printed)."""
    monkeypatch.setattr(sys, "argv", ["dbtl", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture
def spec(examples: Path) -> Path:
    text = (examples / "snar_flow.yaml").read_text()
    text = text.replace("strategy: {name: bo, seed: 7}", "strategy: {name: sobol, seed: 7}")
    path = examples / "small.yaml"
    path.write_text(text.replace("budget: 30", "budget: 6"))
    return path


def test_run_show_export(spec: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    code, out = dbtl(monkeypatch, capsys, "run", str(spec), "--db", db)
    assert code == 0, out
    assert "Best conditions (maximize sty_kg_m3_h)" in out
    assert "Best-so-far per cycle" in out and "budget reached: 6 experiment(s) run now" in out

    code, out = dbtl(monkeypatch, capsys, "show", "--db", db)
    assert code == 0 and "snar-flow-demo" in out

    code, out = dbtl(monkeypatch, capsys, "show", "snar-flow-demo", "--db", db, "--events")
    assert code == 0
    assert "completed 6" in out and "Audit trail" in out and "campaign_created" in out

    for fmt, reader in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        target = tmp_path / f"out.{fmt}"
        code, out = dbtl(
            monkeypatch,
            capsys,
            "export",
            "snar-flow-demo",
            "--db",
            db,
            "--format",
            fmt,
            "--output",
            str(target),
        )
        assert code == 0, out
        frame = reader(target)
        assert list(frame.columns[:7]) == [
            "id",
            "cycle",
            "status",
            "residence_time_min",
            "equivalents",
            "concentration_mol_l",
            "temperature_c",
        ]
        assert "sty_kg_m3_h" in frame.columns and len(frame) == 6
        assert frame["sty_kg_m3_h"].notna().all()


def test_help_lists_commands(monkeypatch, capsys) -> None:
    code, out = dbtl(monkeypatch, capsys, "--help")
    assert code == 0
    for command in ("run", "show", "export"):
        assert command in out


def snapshot(db_path: Path) -> list[tuple]:
    connection = sqlite3.connect(db_path)
    rows = connection.execute(
        "SELECT (SELECT count(*) FROM experiment), (SELECT count(*) FROM event), "
        "(SELECT group_concat(status) FROM experiment)"
    ).fetchall()
    connection.close()
    return rows


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("bounds: [30.0, 120.0]", "bounds: [120, 30]"),
            "parameters[3].bounds: lower 120 must be < upper 30",
        ),
        (
            ("batch_size: 3", "batch_size: 3\nbach: 4"),
            "unknown key 'bach'; allowed: approval, batch_size",
        ),
        (
            ("name: bo, seed", "name: bogus, seed"),
            "unknown strategy 'bogus'; allowed: baybe, bo, bo-candidates, ensemble, explore, "
            "factorial, lhs, random, sobol",
        ),
        (("budget: 6", "budget: 6\n  - oops: ["), "malformed YAML"),
        (
            ("type: float, bounds: [0.5", "type: flaot, bounds: [0.5"),
            "unknown type 'flaot'; allowed: float, int",
        ),
        (
            ("heater: reactor_heater", "heater: oven"),
            "protocol.heater: lab 'flow-sim' has no heater 'oven'",
        ),
        (
            ("name: sty_kg_m3_h", "name: sty"),
            "objectives[0].name: 'sty' is not measured by this protocol",
        ),
        (("lab: labs/flow_sim.yaml", "lab: labs/none.yaml"), "lab file 'labs/none.yaml' not found"),
        (
            (
                "  - {name: temperature_c",
                "  - {name: base, type: molecule,\n"
                "     choices: {dbu: 'C1CCC2=NCCCN2C1', junk: 'C1CC('}}\n"
                "  - {name: temperature_c",
            ),
            "invalid SMILES 'C1CC(' for choice 'junk' of parameter 'base'",
        ),
    ],
)
def test_bad_campaign_files(
    examples: Path, tmp_path: Path, monkeypatch, capsys, edit, message
) -> None:
    db_path = tmp_path / "keep.db"
    good = examples / "good.yaml"
    text = (examples / "snar_flow.yaml").read_text().replace("budget: 30", "budget: 6")
    good.write_text(text.replace("name: bo, seed", "name: random, seed"))
    assert dbtl(monkeypatch, capsys, "run", str(good), "--db", f"sqlite:///{db_path}")[0] == 0
    before = snapshot(db_path)

    bad = examples / "bad.yaml"
    bad.write_text(good.read_text().replace("name: random, seed", "name: bo, seed").replace(*edit))
    code, out = dbtl(monkeypatch, capsys, "run", str(bad), "--db", f"sqlite:///{db_path}")
    assert code == 2
    assert message in " ".join(out.split())
    assert "bad.yaml" in out
    assert "Traceback" not in out
    assert snapshot(db_path) == before


def test_unreachable_and_foreign_databases(spec: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    code, out = dbtl(
        monkeypatch,
        capsys,
        "run",
        str(spec),
        "--db",
        "postgresql+psycopg2://nobody@127.0.0.1:1/none",
    )
    assert code == 2 and "cannot prepare the schema of database" in out and "Traceback" not in out
    foreign = tmp_path / "foreign.db"
    connection = sqlite3.connect(foreign)
    connection.execute("CREATE TABLE t (x)")
    connection.close()
    code, out = dbtl(monkeypatch, capsys, "show", "--db", f"sqlite:///{foreign}")
    assert code == 2 and "not a dbtl database" in out


def test_locked_database(spec: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    import datastore.engine

    db_path = tmp_path / "locked.db"
    assert (
        dbtl(
            monkeypatch, capsys, "run", str(spec), "--db", f"sqlite:///{db_path}", "--budget", "2"
        )[0]
        == 0
    )
    before = snapshot(db_path)
    monkeypatch.setattr(datastore.engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    locker = sqlite3.connect(db_path)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        code, out = dbtl(
            monkeypatch, capsys, "run", str(spec), "--db", f"sqlite:///{db_path}", "--budget", "4"
        )
    finally:
        locker.rollback()
        locker.close()
    assert code == 2 and "locked by another process" in out and "Traceback" not in out
    assert snapshot(db_path) == before


def test_show_and_export_unknown_campaign(tmp_path: Path, monkeypatch, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    Datastore(db).dispose()
    code, out = dbtl(monkeypatch, capsys, "show", "nope", "--db", db)
    assert code == 2 and "no campaign named 'nope'" in out
    code, out = dbtl(
        monkeypatch, capsys, "export", "nope", "--db", db, "--output", str(tmp_path / "x.csv")
    )
    assert code == 2 and "no campaign named 'nope'" in out


def test_show_and_export_never_create_a_database(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = dbtl(monkeypatch, capsys, "show")
    assert code == 2 and out.count("\n") == 1 and "no database at" in out
    code, out = dbtl(monkeypatch, capsys, "export", "x", "--output", str(tmp_path / "x.csv"))
    assert code == 2 and "no database at" in out
    assert list(tmp_path.iterdir()) == []


def test_export_to_missing_folder(spec: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    db = f"sqlite:///{tmp_path / 'e.db'}"
    assert dbtl(monkeypatch, capsys, "run", str(spec), "--db", db, "--budget", "2")[0] == 0
    code, out = dbtl(
        monkeypatch,
        capsys,
        "export",
        "snar-flow-demo",
        "--db",
        db,
        "--output",
        str(tmp_path / "no" / "x.csv"),
    )
    assert code == 2 and "does not exist" in out
