"""Bad campaign and lab files are refused at load, one line each, naming file, line and fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lab.devices.labfile import load_lab
from lab.running.campaigns import load_campaign
from lab.specs.yamlio import SpecError


@pytest.fixture
def flow(tmp_path: Path, examples: Path) -> Path:
    shutil.copytree(examples / "labs", tmp_path / "labs")
    target = tmp_path / "snar.yaml"
    shutil.copy(examples / "snar_flow.yaml", target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def refused(path: Path, budget: int | None = None) -> str:
    with pytest.raises(SpecError) as caught:
        load_campaign(path, budget)
    return str(caught.value)


def test_heater_below_the_temperature_bound(flow: Path) -> None:
    edit(flow.parent / "labs/flow_sim.yaml", "max_temperature_c: 140.0", "max_temperature_c: 100.0")
    message = refused(flow)
    assert message.startswith(f"{flow}:10: parameters: ")
    assert "reactor_heater setpoint 120 °C exceeds its limit 100 °C" in message
    assert "temperature_c=120" in message and "narrow the bounds" in message
    assert "\n" not in message


def test_pump_maximum_below_what_the_bounds_need(flow: Path) -> None:
    lab = flow.parent / "labs/flow_sim.yaml"
    lab.write_text(
        lab.read_text().replace("max_flow_rate_ml_min: 10.0", "max_flow_rate_ml_min: 2.0")
    )
    message = refused(flow)
    assert "exceeds its limit 2 mL/min" in message and "residence_time_min=0.5" in message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "bounds: [30.0, 120.0]",
            "bounds: [-1e308, 1e308]",
            ":13: number '-1e308' is not a finite",
        ),
        ("bounds: [30.0, 120.0]", "bounds: [30.0, .inf]", ":13: number '.inf' is not a finite"),
        ("budget: 30", "budget: 1000000000000000000000000000000", ":18: number"),
        (
            "budget: 30",
            "budget: 1000000000",
            ":18: budget: must be at most 100,000, got 1,000,000,000",
        ),
        (
            "batch_size: 3",
            "batch_size: 3\nbudget: 4",
            ":20: duplicate key 'budget' (first at line 18)",
        ),
        ("dfnb: 159.09", "dfnb: -159.09", "molar_masses_g_mol.dfnb: must be > 0 g/mol"),
    ],
)
def test_bad_numbers_and_keys(flow: Path, old: str, new: str, expected: str) -> None:
    edit(flow, old, new)
    message = refused(flow)
    assert expected in message and message.startswith(str(flow)) and "\n" not in message


@pytest.mark.parametrize(
    ("budget", "expected"),
    [
        (0, "--budget must be at least 1, got 0"),
        (-3, "--budget must be at least 1, got -3"),
        (10**30, "--budget must be at most 100,000"),
        (100_001, "--budget must be at most 100,000, got 100,001"),
    ],
)
def test_cli_budget_out_of_range(flow: Path, budget: int, expected: str) -> None:
    assert refused(flow, budget).startswith(expected)


def test_random_bytes_as_a_lab_file_are_not_echoed(tmp_path: Path) -> None:
    lab = tmp_path / "lab.yaml"
    lab.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(SpecError) as caught:
        load_lab(lab)
    message = str(caught.value)
    assert message.startswith(f"{lab}: ") and len(message) < 300 and "\x00" not in message
