"""`dbtl protocol compile --db` previews exactly the plate the loop then runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import ROOT
from tests.lab.helpers import run_cli


def _suzuki_with_options(examples: Path) -> Path:
    lab = examples / "labs" / "ot2_suzuki.yaml"
    lab.write_text(lab.read_text().replace("../../simulators/data/", f"{ROOT}/simulators/data/"))
    campaign = examples / "suzuki_hte.yaml"
    text = campaign.read_text()
    old = "strategy: {name: sobol, seed: 3}"
    assert old in text
    new = "strategy: {name: bo-candidates, seed: 3, options: {initial: balanced}}"
    campaign.write_text(text.replace(old, new).replace("batch_size: 24", "batch_size: 8"))
    return campaign


def test_preview_is_the_plate_the_loop_runs(
    examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    campaign = _suzuki_with_options(examples)
    db = f"sqlite:///{tmp_path / 'lab.db'}"
    preview = tmp_path / "preview.py"
    code, text = run_cli(
        monkeypatch, capsys, "protocol", "compile", str(campaign), "-o", str(preview), "--db", db
    )
    assert code == 0, text
    code, text = run_cli(monkeypatch, capsys, "run", str(campaign), "--db", db, "--budget", "8")
    assert code == 0, text
    table = tmp_path / "ran.csv"
    code, text = run_cli(
        monkeypatch, capsys, "export", "suzuki-hte-demo", "-o", str(table), "--db", db
    )
    assert code == 0, text
    parameters = ["electrophile", "nucleophile", "ligand", "base", "solvent"]
    ran = pd.read_csv(table)
    assert len(ran) == 8 and set(ran["cycle"]) == {1}
    designs = tmp_path / "ran_designs.csv"
    ran[parameters].to_csv(designs, index=False)
    compiled = tmp_path / "ran.py"
    code, text = run_cli(
        monkeypatch, capsys, "protocol", "compile", str(campaign), "-o", str(compiled),
        "--designs", str(designs),
    )  # fmt: skip
    assert code == 0, text
    assert preview.read_text() == compiled.read_text()
    assert preview.with_suffix(".csv").read_text() == compiled.with_suffix(".csv").read_text()
