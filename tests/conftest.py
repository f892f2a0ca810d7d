"""Shared fixtures: temporary datastores, the example campaign, and PostgreSQL when present."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from datastore import Datastore

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(os.environ.get("DBTL_DATA_DIR", ROOT.parent / "shared" / "data"))
"""The published datasets (../shared/data beside the checkout, or $DBTL_DATA_DIR)."""


def needs_data(*relative: str) -> pytest.MarkDecorator:
    """Skip a test, with the reason, when a published dataset is not on this machine."""
    missing = [r for r in relative if not (DATA / r).exists()]
    return pytest.mark.skipif(
        bool(missing),
        reason=f"published dataset(s) {', '.join(missing)} not found under {DATA}; "
        "set DBTL_DATA_DIR",
    )


POSTGRES_URL = os.environ.get(
    "DBTL_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a fresh SQLite file."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Datastore]:
    """A migrated, empty SQLite datastore."""
    ds = Datastore(sqlite_url)
    yield ds
    ds.dispose()


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    """A private copy of examples/, safe to edit."""
    target = tmp_path / "examples"
    shutil.copytree(EXAMPLES, target)
    return target


def postgres_available() -> bool:
    """Whether the test PostgreSQL server answers."""
    try:
        import sqlalchemy

        engine = sqlalchemy.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a throwaway PostgreSQL database, dropped afterwards; skips if no server."""
    import uuid

    import sqlalchemy

    if not postgres_available():
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set DBTL_TEST_POSTGRES_URL)")
    name = f"dbtl_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
