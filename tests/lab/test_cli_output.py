"""What the CLI prints: its version, JSON with stable keys, tables that fit narrow terminals."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from lab.cli import main as cli
from tests.lab.test_cli import dbtl

CAMPAIGN_KEYS = {
    "name", "status", "status_reason", "lab", "strategy", "seed", "budget", "budget_used",
    "batch_size", "approval_policy", "created_at",
}  # fmt: skip
EXPERIMENT_KEYS = {"number", "cycle", "status", "attempt", "parameters", "measurements", "error"}


@pytest.fixture
def ran(examples: Path, tmp_path: Path, monkeypatch, capsys) -> str:
    text = (examples / "snar_flow.yaml").read_text().replace("name: bo, seed", "name: sobol, seed")
    spec = examples / "small.yaml"
    spec.write_text(text)
    url = f"sqlite:///{tmp_path / 'out.db'}"
    code, out = dbtl(monkeypatch, capsys, "run", str(spec), "--db", url, "--budget", "4")
    assert code == 0, out
    return url


def test_version(monkeypatch, capsys) -> None:
    code, out = dbtl(monkeypatch, capsys, "--version")
    assert code == 0 and out.strip() == f"dbtl {metadata.version('dbtl')}"


def test_show_json_has_the_documented_keys(ran: str, monkeypatch, capsys) -> None:
    code, out = dbtl(monkeypatch, capsys, "show", "snar-flow-demo", "--db", ran, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["schema"] == "dbtl.campaign/1"
    assert set(data) == {"schema", "campaign", "counts", "best", "experiments"}
    assert set(data["campaign"]) == CAMPAIGN_KEYS
    assert data["campaign"]["budget_used"] == 4 and data["counts"] == {"completed": 4}
    assert [e["number"] for e in data["experiments"]] == [1, 2, 3, 4]
    assert all(set(e) == EXPERIMENT_KEYS for e in data["experiments"])
    best = data["best"]["sty_kg_m3_h"]
    values = [e["measurements"]["sty_kg_m3_h"] for e in data["experiments"]]
    assert best["value"] == max(values) and best["direction"] == "maximize"
    code, out = dbtl(monkeypatch, capsys, "show", "--db", ran, "--json")
    listed = json.loads(out)
    assert listed["schema"] == "dbtl.campaigns/1"
    assert [c["name"] for c in listed["campaigns"]] == ["snar-flow-demo"]
    assert set(listed["campaigns"][0]) == {
        "name", "status", "lab", "strategy", "budget", "created_at",
    }  # fmt: skip


@pytest.mark.parametrize("width", [60, 80, 99])
def test_tables_fit_a_narrow_terminal(ran: str, monkeypatch, capsys, width: int) -> None:
    monkeypatch.setattr(cli.console, "width", width)
    code, out = dbtl(monkeypatch, capsys, "show", "snar-flow-demo", "--db", ran, "--events")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= width
    blocks = [line for line in out.splitlines() if line.startswith("│ residence_time_min ")]
    assert len(blocks) >= 4  # one key/value block per experiment


def test_wide_terminals_keep_the_table_layout(ran: str, monkeypatch, capsys) -> None:
    monkeypatch.setattr(cli.console, "width", 160)
    code, out = dbtl(monkeypatch, capsys, "show", "snar-flow-demo", "--db", ran)
    assert code == 0
    header = [line for line in out.splitlines() if "residence_time_min" in line][-1]
    assert "cycle" in header and "status" in header  # one row of column names
