"""``dbtl show``'s summary view reads a few rows yet prints what the full view prints."""

from __future__ import annotations

import io
import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from datastore import Datastore
from datastore.bulk import seed_campaign
from lab.cli.console import experiments_table, summary_tables
from lab.cli.main import header
from lab.review.views import CampaignView, load_summary_view, load_view, pareto_mask
from lab.running.campaigns import LoadedCampaign, load_campaign, open_campaign
from lab.running.runner import with_spec
from planner import Objective


def _seeded(tmp_path: Path, examples: Path, objectives: tuple[Objective, ...] | None) -> Datastore:
    loaded: LoadedCampaign = load_campaign(examples / "suzuki_hte.yaml")
    if objectives is not None:
        loaded = with_spec(loaded, objectives=objectives)
    loaded = with_spec(loaded, name="big")
    store = Datastore(f"sqlite:///{tmp_path / 'big.db'}")
    campaign, _ = open_campaign(store, loaded, "tester")
    choices = {p.name: list(p.choices) for p in loaded.spec.parameters}  # type: ignore[union-attr]
    seed_campaign(
        store,
        campaign.id or 0,
        lambda rng: {name: rng.choice(values) for name, values in choices.items()},
        n_experiments=400,
        n_events=2400,
        awaiting=7,
    )
    return store


def _printed(view: CampaignView, limit: int) -> str:
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(header(view))
    for table in summary_tables(view, limit):
        console.print(table)
    console.print(experiments_table(view, limit))
    return "\n".join(line.strip() for line in console.export_text().splitlines())


@pytest.mark.parametrize(
    "objectives",
    [
        None,
        (
            Objective(name="yield_pct", direction="maximize"),
            Objective(name="volume_ul", direction="minimize"),
        ),
    ],
    ids=["one objective", "two objectives"],
)
def test_summary_matches_the_full_view(tmp_path: Path, examples: Path, objectives) -> None:
    store = _seeded(tmp_path, examples, objectives)
    with store.session() as session:
        full = load_view(session, "big", with_events=False)
        summary = load_summary_view(session, "big", last=20)
    assert summary.partial and not full.partial
    assert len(summary.table) < 30 < len(full.table)
    assert summary.status_counts() == full.status_counts()
    for objective in summary.objectives:
        pd.testing.assert_frame_equal(
            summary.best_so_far(objective).reset_index(drop=True),
            full.best_so_far(objective).reset_index(drop=True),
            check_dtype=False,
        )
    full_text = _printed(full, 20).replace(
        "Experiments of big", "Experiments of big (last 20 of 400)"
    )
    assert _printed(summary, 20) == full_text


def _dominated_brute_force(points: np.ndarray) -> np.ndarray:
    return np.array(
        [
            any((other >= point).all() and (other > point).any() for other in points)
            for point in points
        ]
    )


@pytest.mark.parametrize("seed", range(5))
def test_pareto_mask_matches_the_definition(seed: int) -> None:
    rng = random.Random(seed)
    dims = 2 + seed % 2
    points = np.array([[rng.randint(0, 6) for _ in range(dims)] for _ in range(120)], dtype=float)
    assert (pareto_mask(points) == ~_dominated_brute_force(points)).all()


def test_pareto_mask_of_nothing() -> None:
    assert pareto_mask(np.empty((0, 2))).shape == (0,)
