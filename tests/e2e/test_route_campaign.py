"""The example route campaign end to end: propose, approve (auto), compile, run, best recipe."""

from __future__ import annotations

from pathlib import Path

import pytest

from datastore import Datastore
from lab.builders.route import route_optimum
from lab.running.runner import run_campaign
from lab.services.route_campaigns import best_recipe, load_route_campaign
from tests.lab.test_cli import dbtl


@pytest.mark.slow
def test_the_example_route_campaign_runs_and_resumes(examples: Path, tmp_path: Path) -> None:
    store = Datastore(f"sqlite:///{tmp_path / 'route.db'}")
    loaded, prepared = load_route_campaign(store, examples / "route_campaign.yaml", "ci", budget=8)
    assert len(prepared.approved) >= 2 and not prepared.held
    assert all(s.decision is not None and s.decision.account == "auto" for s in prepared.approved)
    names = {p.name for p in loaded.spec.parameters}
    assert {"route", "s1_temperature_c", "s2_solvent"} <= names
    result = run_campaign(store, loaded)
    assert result.experiments_run == 8
    best = best_recipe(store, loaded)
    assert best is not None
    _, optimum = route_optimum(loaded.spec.protocol.routes, loaded.spec.parameters)  # type: ignore[union-attr]
    assert 0 < best[1] <= optimum * 1.2
    # the same file again: the same routes, the same campaign, nothing re-run
    again, _ = load_route_campaign(store, examples / "route_campaign.yaml", "ci", budget=8)
    assert again.spec == loaded.spec
    assert run_campaign(store, again).experiments_run == 0


@pytest.mark.slow
def test_dbtl_route_run_prints_the_best_recipe(
    examples: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    spec = examples / "route_campaign.yaml"
    code, out = dbtl(monkeypatch, capsys, "route", "run", str(spec), "--budget", "4", "--db", db)
    assert code == 0, out
    assert "best recipe: route v" in out and "approved" in out
