"""Alembic upgrades from every released revision to head keep the data (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from datastore import Datastore
from datastore import repository as repo
from datastore.states import ExperimentStatus as S

MIGRATIONS = Path(repo.__file__).parent / "migrations"
RELEASED = ["0001", "0002"]
NOW = "2026-11-25 12:00:00+00:00"
CAMPAIGN = "(SELECT id FROM campaign WHERE name = 'old')"
EXPERIMENT = "(SELECT id FROM experiment WHERE number = 1)"


def _config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(url: str, revision: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)
    engine.dispose()


def _seed(url: str) -> None:
    """Rows as a dbtl of revision 0001 wrote them: a campaign, an experiment, its result."""
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO campaign (name, status, spec_yaml, spec_hash, strategy, seed, "
                "budget, batch_size, approval_policy, created_at, updated_at) VALUES ('old', "
                "'active', 'name: old', 'h', 'sobol', 3, 10, 2, 'auto', :t, :t)"
            ),
            {"t": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO experiment (campaign_id, number, cycle, status, parameters, "
                f"created_at, updated_at) VALUES ({CAMPAIGN}, 1, 1, 'completed', :p, :t, :t)"
            ),
            {"p": json.dumps({"temperature_c": 80.0}), "t": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO measurement (experiment_id, name, value, unit, created_at) "
                f"VALUES ({EXPERIMENT}, 'yield_pct', 42.5, '%', :t)"
            ),
            {"t": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO event (campaign_id, experiment_id, kind, to_status, actor, payload, "
                f"created_at) VALUES ({CAMPAIGN}, {EXPERIMENT}, 'transition', 'completed', "
                "'old-dbtl', '{}', :t)"
            ),
            {"t": NOW},
        )
    engine.dispose()


def _check_survived(url: str) -> None:
    store = Datastore(url)  # migrates to head on open
    try:
        with store.session() as session:
            campaign = repo.get_campaign(session, "old")
            (experiment,) = repo.list_experiments(session, campaign.id or 0)
            assert experiment.parameters == {"temperature_c": 80.0}
            assert experiment.attempt == 1 and campaign.priority == 0  # 0002 defaults
            measured = repo.campaign_measurements(session, campaign.id or 0)
            assert measured == {experiment.id: {"yield_pct": 42.5}}
            assert [e.actor for e in repo.list_events(session, campaign.id or 0)] == ["old-dbtl"]
            (new,) = repo.add_proposals(
                session, campaign, 2, [repo.NewExperiment({"temperature_c": 90.0})], None, actor="t"
            )
            repo.transition(session, new.id or 0, S.AWAITING_APPROVAL, actor="t")
        with store.engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            heads = ScriptDirectory.from_config(_config(connection)).get_heads()
            assert {row[0] for row in version} == set(heads)
    finally:
        store.dispose()


def test_every_released_revision_is_listed() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        script = ScriptDirectory.from_config(_config(connection))
        revisions = {r.revision for r in script.walk_revisions()}
    assert set(RELEASED) <= revisions


@pytest.mark.parametrize("start", RELEASED)
def test_upgrade_keeps_data_on_sqlite(tmp_path: Path, start: str) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    _upgrade(url, "0001")
    _seed(url)
    _upgrade(url, start)
    _check_survived(url)


@pytest.mark.postgres
@pytest.mark.parametrize("start", RELEASED)
def test_upgrade_keeps_data_on_postgres(postgres_url: str, start: str) -> None:
    _upgrade(postgres_url, "0001")
    _seed(postgres_url)
    _upgrade(postgres_url, start)
    _check_survived(postgres_url)
    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:  # the sequences still hand out fresh ids after seeding
        count = connection.execute(sa.text("SELECT count(*) FROM experiment")).scalar_one()
    engine.dispose()
    assert count == 2
