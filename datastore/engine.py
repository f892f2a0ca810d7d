"""The engine and session factory.

A :class:`Datastore` is made from a database URL (a SQLite file by default,
PostgreSQL for a shared lab), brings the schema up to date with Alembic on
open, and hands out sessions that commit on success and roll back on error.
Nothing here is a module global: every caller is given its datastore.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

from datastore.errors import DatastoreError
from datastore.models import Event

DEFAULT_URL = "sqlite:///dbtl.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")


def redact(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", url)


class Datastore:
    """Sessions over one database, with the schema migrated to the latest revision."""

    def __init__(self, url: str = DEFAULT_URL, *, migrate: bool = True) -> None:
        """Open the database at ``url``.

        Args:
            url: SQLAlchemy URL, e.g. ``sqlite:///campaign.db`` or
                ``postgresql+psycopg2://user@host/db``.
            migrate: Bring the schema to the latest revision (creating it when empty).

        Raises:
            DatastoreError: The URL is malformed, the server is unreachable, or
                the database is locked or not a dbtl database.
        """
        self.url = url
        self.engine = _make_engine(url)
        self._sessions = sessionmaker(bind=self.engine, class_=Session, expire_on_commit=False)
        sa_event.listen(self._sessions, "before_flush", _refuse_event_edits)
        if migrate:
            self.call(lambda: _migrate(self.engine), action="prepare the schema of")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session; commit when the block ends, roll back if it raises.

        Raises:
            DatastoreError: The database refused the work (locked, gone away).
        """
        session = self._sessions()
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise self._translate(exc, "write to") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def call(self, fn: Callable[[], T], *, action: str = "use") -> T:
        """Run ``fn`` and turn driver-level database errors into :class:`DatastoreError`."""
        try:
            return fn()
        except (OperationalError, DBAPIError) as exc:
            raise self._translate(exc, action) from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _translate(self, exc: SQLAlchemyError, action: str) -> DatastoreError:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        where = redact(self.url)
        if "locked" in detail.lower():
            return DatastoreError(
                f"database {where} is locked by another process (waited "
                f"{SQLITE_BUSY_TIMEOUT_MS / 1000:.0f} s); stop the other dbtl process "
                "or pass another --db"
            )
        return DatastoreError(
            f"cannot {action} database {where}: {detail}. Check the --db URL, that the "
            "server is running and that you may write there"
        )


def _make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatastoreError(
            f"invalid database URL {url!r}: expected e.g. sqlite:///dbtl.db or "
            "postgresql+psycopg2://user@host:5432/dbname"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(url, parsed.database)
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:
        raise DatastoreError(f"unsupported database URL {redact(url)}: {exc}") from exc


def _make_sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        folder = Path(database).expanduser().resolve().parent
        if not folder.is_dir():
            raise DatastoreError(
                f"cannot open database {url}: folder {folder} does not exist; create it "
                "or pass another --db"
            )
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @sa_event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode, NORMAL keeps every commit through a process crash (SIGKILL);
            # only an OS crash or power loss can drop the last transactions.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def _migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        tables = set(inspect(connection).get_table_names())
        if tables and "alembic_version" not in tables:
            raise DatastoreError(
                f"database {redact(str(engine.url))} already holds tables "
                f"({', '.join(sorted(tables)[:5])}) but is not a dbtl database; "
                "pass another --db"
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _refuse_event_edits(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse, at flush time, any update or delete of an :class:`Event` row."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Event):
            raise DatastoreError(
                "events are append-only: an existing event may not be changed or deleted"
            )
