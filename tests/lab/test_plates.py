"""One HTE plate end to end on the example lab's dry-run devices, and `dbtl protocol compile`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from drivers.clock import SystemClock
from lab.builders.hte import HtePlateBuilder
from lab.cli.main import main
from lab.devices.assembly import build_devices, connected
from lab.running.campaigns import load_campaign
from lab.running.plate_runner import run_plate
from protocols.validation import check_protocol

DESIGNS = [
    (1, {"ligand": "XPhos", "base": "BTMG", "base_equiv": 1.5}),
    (2, {"ligand": "tBuBrettPhos", "base": "P2Et", "base_equiv": 3.0}),
    (3, {"ligand": "tBuXPhos", "base": "MTBD", "base_equiv": 1.0}),
]


def dbtl(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["dbtl", *args])
    monkeypatch.setenv("COLUMNS", "200")
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_a_plate_is_pipetted_read_and_mapped_back_to_experiments(examples: Path) -> None:
    loaded = load_campaign(examples / "buchwald_hte.yaml")
    builder = loaded.builder
    assert isinstance(builder, HtePlateBuilder)
    plan = builder.build_plate(DESIGNS, "demo-plate-1")
    check_protocol(plan.protocol, loaded.lab.limits())
    with connected(build_devices(loaded.lab, SystemClock())) as devices:
        readings = run_plate(plan.protocol, loaded.lab, devices, "demo/plate-1")
    # the reader sees what the robot's own command log says was pipetted
    for number, well in plan.well_map.items():
        expected = plan.contents[well].concentrations_mol_l
        measured = {
            k.removesuffix("_mol_l"): v for k, v in readings[well].items() if k != "volume_ul"
        }
        assert measured == pytest.approx(expected, rel=1e-3), number
        assert readings[well]["volume_ul"] == pytest.approx(150.0)
    stored = builder.plate_measurements(
        plan.protocol, {w: {"yield_pct": 10.0 * i} for i, w in enumerate(readings)}
    )
    assert sorted(stored) == [1, 2, 3]
    assert all(m[0].name == "yield_pct" and m[0].unit == "%" for m in stored.values())


def test_compile_writes_an_inspectable_protocol_that_simulates(
    examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    out = tmp_path / "plate.py"
    code, text = dbtl(
        monkeypatch,
        capsys,
        "protocol",
        "compile",
        str(examples / "buchwald_hte.yaml"),
        "--output",
        str(out),
        "--simulate",
    )
    assert code == 0, text
    assert "experiment → well" in text and "opentrons.simulate:" in text and "no error" in text
    assert out.read_text().startswith('"""dbtl plate protocol buchwald-hte-demo-plate-1')
    assert len(out.with_suffix(".csv").read_text().splitlines()) > 24


@pytest.mark.parametrize(
    ("edit", "csv", "message"),
    [
        (None, "ligand,base,base_equiv,colour\nXPhos,BTMG,1.5,red\n", "unknown column(s) colour"),
        (None, "ligand,base\nXPhos,BTMG\n", "missing column(s) base_equiv"),
        (None, "ligand,base,base_equiv\nSPhos,BTMG,1.5\n", "'SPhos' is not allowed"),
        (
            ("corning_96_wellplate_360ul_flat", "corning_96_wellplate_999ul"),
            None,
            "unknown labware 'corning_96_wellplate_999ul'",
        ),
        (
            (
                "volume_ul: 1900, dead_volume_ul: 50}\n        - {name: morpholine",
                "volume_ul: 200, dead_volume_ul: 50}\n        - {name: morpholine",
            ),
            None,
            "stock 'aryl_bromide' (stocks/A1) is insufficient",
        ),
        (
            ("tipracks: [tips_300_a, tips_300_b]", "tipracks: [tips_300_a]"),
            None,
            "needs 100 tips but its tip racks (tips_300_a) hold 96",
        ),
        (
            ("concentration_mol_l: 0.01,", "concentration_mol_l: 1.0,"),
            "ligand,base,base_equiv\nXPhos,BTMG,1.5\n",
            "0.3 µL is outside every pipette's range",
        ),
        (
            ("load_name: p20_single_gen2", "load_name: p1000_single_gen2"),
            None,
            "20 µL tips are too small for p1000_single_gen2",
        ),
    ],
)
def test_bad_input_is_one_clear_line_and_nothing_is_written(
    examples: Path, tmp_path: Path, monkeypatch, capsys, edit, csv, message
) -> None:
    if edit is not None:
        lab = examples / "labs" / "ot2_hte.yaml"
        assert edit[0] in lab.read_text()
        lab.write_text(lab.read_text().replace(edit[0], edit[1]))
    args = [
        "protocol",
        "compile",
        str(examples / "buchwald_hte.yaml"),
        "-o",
        str(tmp_path / "p.py"),
    ]
    if csv is not None:
        (tmp_path / "designs.csv").write_text(csv)
        args += ["--designs", str(tmp_path / "designs.csv")]
    code, text = dbtl(monkeypatch, capsys, *args)
    assert code == 2, text
    assert message in text and "Traceback" not in text
    assert not (tmp_path / "p.py").exists()


def test_a_designs_csv_is_compiled_with_its_experiment_numbers(
    examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    designs = tmp_path / "designs.csv"
    designs.write_text("experiment,ligand,base,base_equiv\n41,XPhos,BTMG,1.5\n42,XPhos,MTBD,2\n")
    code, text = dbtl(
        monkeypatch,
        capsys,
        "protocol",
        "compile",
        str(examples / "buchwald_hte.yaml"),
        "-o",
        str(tmp_path / "p.py"),
        "--designs",
        str(designs),
    )
    assert code == 0, text
    assert "│ 41 " in text and "│ 42 " in text
