"""Bad input gets one line naming what, where and how to fix it, and changes nothing stored."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
import yaml

from tests.lab.emulated import emulated_lab_data
from tests.lab.test_cli import dbtl
from tests.lab.test_cli_lab import free_port


@pytest.fixture
def spec(examples: Path) -> Path:
    """The SnAr example on Sobol, budget 6."""
    text = (examples / "snar_flow.yaml").read_text()
    text = text.replace("strategy: {name: bo, seed: 7}", "strategy: {name: sobol, seed: 7}")
    path = examples / "small.yaml"
    path.write_text(text.replace("budget: 30", "budget: 6"))
    return path


def dump(db_path: Path) -> dict[str, list[tuple]]:
    """Every row of every table: two equal dumps mean nothing was stored."""
    connection = sqlite3.connect(db_path)
    try:
        tables = [
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {t: sorted(map(repr, connection.execute(f"SELECT * FROM {t}"))) for t in tables}
    finally:
        connection.close()


def one_line(out: str) -> str:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    assert "Traceback" not in out
    return lines[0]


@pytest.fixture
def ran(spec: Path, tmp_path: Path, monkeypatch, capsys) -> tuple[Path, str]:
    """A database holding one campaign that ran 3 experiments."""
    db_path = tmp_path / "ran.db"
    code, out = dbtl(
        monkeypatch, capsys, "run", str(spec), "--db", f"sqlite:///{db_path}", "--budget", "3"
    )
    assert code == 0, out
    return db_path, f"sqlite:///{db_path}"


@pytest.mark.parametrize(
    ("lab", "device", "message"),
    [
        ("no-such-lab", "hplc", "lab 'no-such-lab' is not known to this database (labs: flow-sim)"),
        ("flow-sim", "laser", "lab 'flow-sim' has no device 'laser' (its devices: hplc, pump_dfnb"),
    ],
)
def test_lab_service_refuses_unknown_labs_and_devices(
    ran, monkeypatch, capsys, lab: str, device: str, message: str
) -> None:
    db_path, url = ran
    before = dump(db_path)
    code, out = dbtl(monkeypatch, capsys, "lab", "service", lab, device, "--off", "--db", url)
    assert code == 2 and message in one_line(out)
    assert dump(db_path) == before


def test_lab_service_of_a_known_device_is_recorded(ran, monkeypatch, capsys) -> None:
    _, url = ran
    code, out = dbtl(
        monkeypatch, capsys, "lab", "service", "flow-sim", "hplc", "--off", "--db", url
    )
    assert code == 0 and "flow-sim/hplc is out of service" in out


def test_a_budget_below_what_already_ran_is_refused(
    ran,
    spec: Path,
    monkeypatch,
    capsys,
) -> None:
    db_path, url = ran
    before = dump(db_path)
    code, out = dbtl(monkeypatch, capsys, "run", str(spec), "--db", url, "--budget", "2")
    line = one_line(out)
    assert code == 2 and "campaign 'snar-flow-demo' (" in line
    assert "budget (or --budget) 2 is below the 3 experiment(s) already run" in line
    assert "give at least 3" in line
    assert dump(db_path) == before


@pytest.mark.parametrize("poll", ["0", "-1", "nan", "1e9"])
def test_poll_must_be_positive(
    spec: Path,
    tmp_path: Path,
    monkeypatch,
    capsys,
    poll: str,
) -> None:
    db_path = tmp_path / "p.db"
    code, out = dbtl(
        monkeypatch, capsys, "run", str(spec), "--db", f"sqlite:///{db_path}", "--poll", poll
    )
    assert code == 2 and "--poll must be a number of seconds in (0, 3600]" in one_line(out)
    assert not db_path.exists()
    lab = spec.parent / "labs" / "flow_sim.yaml"
    code, out = dbtl(
        monkeypatch, capsys, "lab", "up", str(lab), "--db", f"sqlite:///{db_path}", "--poll", poll
    )
    assert code == 2 and "--poll must be" in one_line(out)
    assert not db_path.exists()


def test_a_run_that_fails_before_its_first_experiment_leaves_no_campaign(
    examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    data = emulated_lab_data(examples / "hplc", 600.0)
    data["outage_timeout_s"] = 0.2
    for device in data["devices"]:
        if "port" in device:
            device["port"] = f"socket://127.0.0.1:{free_port()}"  # nobody listens
    (examples / "labs" / "flow_emulated.yaml").write_text(yaml.safe_dump(data))
    db_path = tmp_path / "x.db"
    code, out = dbtl(
        monkeypatch,
        capsys,
        "run",
        str(examples / "snar_flow_emulated.yaml"),
        "--db",
        f"sqlite:///{db_path}",
    )
    assert code == 4 and "pump_dfnb" in out, out
    rows = dump(db_path)
    assert rows["campaign"] == [] and rows["event"] == [] and rows["experiment"] == []


@pytest.mark.parametrize(
    "content",
    [
        os.urandom(4000),
        os.urandom(4000).decode("latin-1").encode("utf-8"),
        b"name: lab\ndevices: [\x1b[31m" + b"A" * 5000,
        b"name: lab\ndevices: [a, b\nfoo: } " + b"Z" * 5000,
    ],
    ids=["bytes", "latin-1 text", "escape codes", "unclosed"],
)
def test_a_lab_file_of_garbage_is_one_line_never_echoed(
    tmp_path: Path, monkeypatch, capsys, content: bytes
) -> None:
    lab = tmp_path / "lab.yaml"
    lab.write_bytes(content)
    code, out = dbtl(monkeypatch, capsys, "lab", "check", str(lab))
    line = one_line(out)
    assert code == 2 and line.startswith(f"error: {lab}")
    assert (
        len(line) < 300 and "\x1b" not in out and "AAAAAAAAAA" not in out and "ZZZZZZZ" not in out
    )
