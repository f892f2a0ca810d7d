"""`dbtl protocol compile --db` previews exactly the plate the loop then runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

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


MODEL_OPTIONS = "options: {initial: balanced, prior: dim-scaled, warp: false}"
"""Strategy options that change a model-based batch (the defaults are maximin, block, warp)."""


def _suzuki_with_model_options(examples: Path) -> Path:
    campaign = _suzuki_with_options(examples)
    text = campaign.read_text().replace("options: {initial: balanced}", MODEL_OPTIONS)
    campaign.write_text(text)
    return campaign


def _stored_batch(db: str, cycle: int) -> list[tuple[int, dict]]:
    from datastore import Datastore
    from lab.services import campaigns

    view = campaigns.view(Datastore(db), "suzuki-hte-demo", with_events=False)
    rows = view.table[view.table["cycle"] == cycle].sort_values("number")
    names = view.parameter_names
    return [(int(r["number"]), {n: r[n] for n in names}) for r in rows.to_dict("records")]


@pytest.mark.slow
def test_preview_after_a_cycle_is_the_batch_the_loop_then_runs(
    examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """The second batch, planned by the model with non-default options, previewed then run."""
    from lab.services.planning import preview_next_batch
    from lab.services.protocols import load_plate_campaign

    campaign = _suzuki_with_model_options(examples)
    db = f"sqlite:///{tmp_path / 'lab.db'}"
    code, text = run_cli(monkeypatch, capsys, "run", str(campaign), "--db", db, "--budget", "8")
    assert code == 0, text
    loaded = load_plate_campaign(campaign)
    preview = preview_next_batch(loaded, db)
    plate = tmp_path / "preview.py"
    code, text = run_cli(
        monkeypatch, capsys, "protocol", "compile", str(campaign), "-o", str(plate), "--db", db
    )
    assert code == 0, text
    code, text = run_cli(monkeypatch, capsys, "run", str(campaign), "--db", db, "--budget", "16")
    assert code == 0, text
    ran = _stored_batch(db, cycle=2)
    assert [n for n, _ in preview] == list(range(9, 17))
    assert preview == ran  # every parameter value of every experiment, by its number
    designs = tmp_path / "ran.csv"
    pd.DataFrame([d for _, d in ran]).assign(experiment=[n for n, _ in ran]).to_csv(
        designs, index=False
    )
    again = tmp_path / "ran.py"
    code, text = run_cli(
        monkeypatch, capsys, "protocol", "compile", str(campaign), "-o", str(again),
        "--designs", str(designs),
    )  # fmt: skip
    assert code == 0, text
    assert plate.read_text() == again.read_text()


@pytest.mark.slow
def test_the_preview_uses_the_strategy_options(
    examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Dropping the options plans another batch: the preview test above can fail."""
    from lab.services.planning import preview_next_batch
    from lab.services.protocols import load_plate_campaign

    campaign = _suzuki_with_model_options(examples)
    db = f"sqlite:///{tmp_path / 'lab.db'}"
    code, text = run_cli(monkeypatch, capsys, "run", str(campaign), "--db", db, "--budget", "8")
    assert code == 0, text
    with_options = preview_next_batch(load_plate_campaign(campaign), db)
    campaign.write_text(campaign.read_text().replace(MODEL_OPTIONS, "options: {initial: balanced}"))
    defaults = preview_next_batch(load_plate_campaign(campaign), db)
    assert [n for n, _ in defaults] == [n for n, _ in with_options]
    assert defaults != with_options
