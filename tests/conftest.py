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
DATA = ROOT.parent / "shared" / "data"
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
