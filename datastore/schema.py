"""Bring a database's schema to the latest revision, once, even when many processes start at once.

Migrations run behind a lock held for the whole upgrade: an exclusive
``flock`` on a lock file beside the SQLite file (``<file>.migrate-lock``), or a
transaction-scoped advisory lock on PostgreSQL. The second of eight processes
started together on a new file therefore waits, then finds the schema already
at head and does nothing.

The lock is never taken on the database file itself: closing any descriptor of
that file drops every POSIX lock the process holds on it, SQLite's own included,
which lets another process treat a live connection as gone and damage the file
(https://sqlite.org/howtocorrupt.html, section 2.2).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from datastore.errors import DamagedDatabaseError, DatastoreError

MIGRATIONS = Path(__file__).parent / "migrations"
PG_ADVISORY_KEY = 0x64_62_74_6C  # "dbtl"
"""Key of the PostgreSQL advisory lock taken while migrating."""

try:  # POSIX; elsewhere SQLite's own busy handling is all there is
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revisions() -> set[str]:
    """The revision ids this version of dbtl migrates to."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_config()).get_heads())


def stored_revisions(connection: Connection) -> set[str] | None:
    """The revisions recorded in the database, or ``None`` when it holds no tables at all.

    Raises:
        DamagedDatabaseError: It holds tables but no ``alembic_version`` (not a dbtl database).
    """
    tables = set(inspect(connection).get_table_names())
    if not tables:
        return None
    if "alembic_version" not in tables:
        raise DamagedDatabaseError(f"already holds tables ({', '.join(sorted(tables)[:5])})")
    rows = connection.execute(text("SELECT version_num FROM alembic_version"))
    return {str(row[0]) for row in rows}


def migrate(engine: Engine, database_file: str | None) -> None:
    """Upgrade the schema to head under a lock (see the module docstring).

    Args:
        engine: The database's engine.
        database_file: The SQLite file, or ``None`` (in-memory SQLite, a server).
    """
    from alembic import command

    with _file_lock(database_file), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_ADVISORY_KEY})
        if stored_revisions(connection) == head_revisions():
            return
        config = _config()
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def check_current(connection: Connection) -> None:
    """Refuse to read a database whose schema is not this version's.

    Raises:
        DatastoreError: It is empty, older or newer than this dbtl.
    """
    stored, heads = stored_revisions(connection), head_revisions()
    if stored is None:
        raise DatastoreError("holds no dbtl campaigns yet (it is empty)")
    if stored != heads:
        raise DatastoreError(
            f"has schema revision {', '.join(sorted(stored)) or 'none'} but this dbtl reads "
            f"{', '.join(sorted(heads))}: run `dbtl db check --upgrade` (or any `dbtl run`)"
        )


def lock_file(database_file: str) -> str:
    """The file whose ``flock`` serializes migrations of ``database_file``."""
    return f"{database_file}.migrate-lock"


@contextlib.contextmanager
def _file_lock(database_file: str | None) -> Iterator[None]:
    if database_file is None or fcntl is None:
        yield
        return
    descriptor = os.open(lock_file(database_file), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock
