"""`dbtl model report`: predictions for every unmeasured candidate, scored against a known table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from datastore import Datastore
from lab.bench.scenarios import TableScenario
from lab.bench.tables import load_dataset
from lab.review.model_report import candidate_report
from lab.running.campaigns import load_campaign
from lab.running.runner import run_campaign
from planner.errors import PlannerError
from tests.bench.tables import true_yield, write_grid
from tests.lab.helpers import run_cli


@pytest.fixture
def explored(tmp_path: Path) -> tuple[str, str]:
    """A campaign that measured 12 of the grid's 32 designs (random order, seeded)."""
    scenario = TableScenario(load_dataset(write_grid(tmp_path / "grid.csv"), "yield"), "grid")
    campaign = scenario.write(tmp_path / "run", "random", 3, 12, 4)
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    loaded = load_campaign(campaign)
    run_campaign(Datastore(url), loaded)
    return url, loaded.spec.name


def test_every_unmeasured_candidate_is_predicted_and_scored_against_the_table(
    explored: tuple[str, str],
) -> None:
    url, name = explored
    with Datastore(url).session() as session:
        found = candidate_report(session, name, threshold=70.0)
    assert found.measured == 12 and len(found.predictions) == 32 - 12
    truth = [
        true_yield(r.catalyst, r.temperature_C, r.solvent) for r in found.predictions.itertuples()
    ]
    assert found.predictions["true"].tolist() == pytest.approx(truth)
    scores = found.scores
    assert scores is not None and scores.count == 20
    assert scores.reactive_share == pytest.approx(sum(t >= 70.0 for t in truth) / 20)
    # the landscape is additive and smooth: a GP on 12 points ranks the rest well
    assert scores.roc_auc > 0.8 and scores.r2 > 0.5


def test_the_cli_prints_the_scores_and_writes_the_predictions(
    explored: tuple[str, str], tmp_path: Path, monkeypatch, capsys
) -> None:
    url, name = explored
    out = tmp_path / "predictions.csv"
    code, text = run_cli(
        monkeypatch,
        capsys,
        "model",
        "report",
        name,
        "--threshold",
        "70",
        "--db",
        url,
        "-o",
        str(out),
    )
    assert code == 0, text
    assert "fitted on" in text and "ROC AUC" in text and "accuracy" in text
    written = pd.read_csv(out)
    assert len(written) == 20 and {"predicted", "true"} <= set(written.columns)


def test_a_campaign_without_candidates_is_refused_in_one_line(
    store: Datastore, examples: Path, monkeypatch, capsys
) -> None:
    from tests.lab.helpers import small_campaign

    run_campaign(store, small_campaign(examples, budget=2, batch=2))
    with store.session() as session, pytest.raises(PlannerError, match="has no candidate set"):
        candidate_report(session, "small", threshold=1.0)
    code, text = run_cli(
        monkeypatch, capsys, "model", "report", "nope", "--threshold", "1", "--db", store.url
    )
    assert code == 2 and "Traceback" not in text and "nope" in text


OPTIONS = {"prior": "dim-scaled", "warp": False, "molecules": "auto"}


@pytest.fixture
def optimized(tmp_path: Path) -> tuple[str, str]:
    """A bo-candidates campaign with non-default surrogate options, 12 of 32 designs measured."""
    import yaml

    scenario = TableScenario(load_dataset(write_grid(tmp_path / "grid.csv"), "yield"), "grid")
    path = scenario.write(tmp_path / "run", "bo-candidates", 2, 12, 4)
    data = yaml.safe_load(path.read_text())
    data["strategy"]["options"] = OPTIONS
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    url = f"sqlite:///{tmp_path / 'lab.db'}"
    loaded = load_campaign(path)
    run_campaign(Datastore(url), loaded)
    return url, loaded.spec.name


def test_the_report_fits_the_model_the_campaigns_planner_fits(
    optimized: tuple[str, str],
) -> None:
    from datastore import repository as repo
    from lab.builders.binding import make_builder
    from lab.running.learn import planner_inputs, propose
    from lab.running.stored_specs import stored_lab, stored_spec
    from planner.model_options import SurrogateOptions

    url, name = optimized
    with Datastore(url).session() as session:
        found = candidate_report(session, name, threshold=70.0)
        campaign = repo.get_campaign(session, name)
        spec = stored_spec(campaign)
        builder = make_builder(spec, stored_lab(campaign))
        problem = spec.problem()
        problem = problem.model_copy(update={"candidates": builder.candidates(problem.space)})
        observations, _ = planner_inputs(session, campaign.id, problem)
    assert found.options == SurrogateOptions("dim-scaled", False, "auto", "matern52")
    assert found.encoding["molecules"] in ("onehot", "descriptors", "combined")
    assert set(found.encoding["loo_log_density"]) == {"onehot", "descriptors", "combined"}
    # the loop's next proposal fits the same model: its predictions are the report's
    proposal = propose(problem, spec.strategy, observations, [], 3)
    assert proposal.report.diagnostics["encoding"]["molecules"] == found.encoding["molecules"]
    names = list(problem.space.names)
    by_design = {
        tuple(str(v) for v in row[names]): row["predicted"]
        for _, row in found.predictions.iterrows()
    }
    for suggestion in proposal.suggestions:
        key = tuple(str(suggestion.parameters[n]) for n in names)
        assert suggestion.predictions["yield"].mean == pytest.approx(by_design[key], rel=1e-6)


def test_the_cli_names_the_model_options_and_the_chosen_encoding(
    optimized: tuple[str, str], monkeypatch, capsys
) -> None:
    url, name = optimized
    code, text = run_cli(
        monkeypatch, capsys, "model", "report", name, "--threshold", "70", "--db", url
    )
    assert code == 0, text
    assert "prior dim-scaled, warp off" in text
    assert "molecule encoding" in text and "leave-one-out" in text
