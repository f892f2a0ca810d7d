"""Benchmark seeding helpers: the scale of a kept campaign, and statistics after a load."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from datastore import Datastore
from datastore.bulk import refresh_statistics, seed_campaign, seeded_scale
from lab.running.campaigns import load_campaign, open_campaign
from lab.running.runner import with_spec
from tests.conftest import EXAMPLES


def _seed(store: Datastore) -> None:
    loaded = with_spec(load_campaign(EXAMPLES / "suzuki_hte.yaml"), name="kept", budget=50)
    campaign, _ = open_campaign(store, loaded, "test")
    choices = {p.name: list(p.choices) for p in loaded.spec.parameters}  # type: ignore[union-attr]
    design = lambda rng: {n: rng.choice(v) for n, v in choices.items()}  # noqa: E731
    seed_campaign(store, campaign.id or 0, design, 20, 200, awaiting=2)


def test_seeded_scale_counts_the_experiments_and_their_events(tmp_path: Path) -> None:
    store = Datastore(f"sqlite:///{tmp_path / 'kept.db'}")
    assert seeded_scale(store, "kept") is None
    _seed(store)
    assert seeded_scale(store, "kept") == (20, 200)
    refresh_statistics(store)  # nothing to do on SQLite, and no error
    store.dispose()


@pytest.mark.postgres
def test_statistics_are_gathered_after_a_load_on_postgres(postgres_url: str) -> None:
    store = Datastore(postgres_url)
    _seed(store)
    refresh_statistics(store)
    with store.engine.connect() as connection:
        analysed = connection.execute(
            text("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'event'")
        ).scalar_one()
    assert analysed
    store.dispose()
