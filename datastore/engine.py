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
from urllib.parse import quote

from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, create_engine

from datastore import (
    schema,
    tables,  # noqa: F401  (every table mapped before a session opens)
)
from datastore.errors import DamagedDatabaseError, DatastoreError, MissingDatabaseError
from datastore.models import Event

DEFAULT_URL = "sqlite:///dbtl.db"
SQLITE_BUSY_TIMEOUT_MS = 5000
T = TypeVar("T")
DAMAGE_SIGNS = (
    "not a database",
    "malformed",
    "disk image",
    "no such table",
    "no such column",
    "file is encrypted",
)
"""Words of SQLite's errors that mean the file is not (or no longer) a readable dbtl database."""


def redact(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", url)


class Datastore:
    """Sessions over one database, with the schema migrated to the latest revision."""

    def __init__(
        self, url: str = DEFAULT_URL, *, migrate: bool = True, read_only: bool = False
    ) -> None:
        """Open the database at ``url``.

        Args:
            url: SQLAlchemy URL, e.g. ``sqlite:///campaign.db`` or
                ``postgresql+psycopg2://user@host/db``.
            migrate: Bring the schema to the latest revision (creating it when
                empty); with ``read_only``, check instead that it is current.
            read_only: Only read: a SQLite file is opened read-only and never
                created, and nothing is migrated.

        Raises:
            MissingDatabaseError: ``read_only`` and the SQLite file does not exist.
            DamagedDatabaseError: The file is not a dbtl database or is damaged.
            DatastoreError: The URL is malformed, the server is unreachable, or
                the database is locked.
        """
        self.url = url
        self.read_only = read_only
        self.engine, self.database_file = _make_engine(url, read_only=read_only)
        self._sessions = sessionmaker(bind=self.engine, class_=Session, expire_on_commit=False)
        sa_event.listen(self._sessions, "before_flush", _refuse_event_edits)
        if read_only and migrate:
            self.call(self._check_current, action="read")
        elif migrate and not read_only:
            self.call(
                lambda: schema.migrate(self.engine, self.database_file),
                action="prepare the schema of",
            )

    @classmethod
    def for_reading(cls, url: str = DEFAULT_URL) -> Datastore:
        """Open ``url`` for a command that only reads (see ``read_only``)."""
        return cls(url, read_only=True)

    def _check_current(self) -> None:
        with self.engine.connect() as connection:
            try:
                schema.check_current(connection)
            except DamagedDatabaseError:
                raise
            except DatastoreError as exc:
                raise DatastoreError(f"database {redact(self.url)} {exc}") from None

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
        except IntegrityError:
            session.rollback()
            raise
        except DBAPIError as exc:
            session.rollback()
            raise self._translate(exc, "read" if self.read_only else "write to") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def call(self, fn: Callable[[], T], *, action: str = "use") -> T:
        """Run ``fn`` and turn driver-level database errors into :class:`DatastoreError`."""
        try:
            return fn()
        except DamagedDatabaseError as exc:
            raise damaged(self.url, str(exc)) from exc
        except DBAPIError as exc:
            raise self._translate(exc, action) from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    def _translate(self, exc: SQLAlchemyError, action: str) -> DatastoreError:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        where = redact(self.url)
        if any(sign in detail.lower() for sign in DAMAGE_SIGNS):
            return damaged(self.url, detail)
        if self.read_only and "readonly" in detail.lower().replace("-", "").replace(" ", ""):
            return DatastoreError(
                f"cannot read database {where}: {detail}. A read-only database is read only "
                "where SQLite may keep its -shm file: copy it to a writable folder"
            )
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


def damaged(url: str, detail: str) -> DamagedDatabaseError:
    """The one message for a file that is not a dbtl database or whose pages are damaged."""
    return DamagedDatabaseError(
        f"{redact(url)} is not a dbtl database or is damaged ({detail}): run `dbtl db check`"
    )


def _make_engine(url: str, *, read_only: bool) -> tuple[Engine, str | None]:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatastoreError(
            f"invalid database URL {url!r}: expected e.g. sqlite:///dbtl.db or "
            "postgresql+psycopg2://user@host:5432/dbname"
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(url, parsed.database, read_only=read_only)
    try:
        return create_engine(url, pool_pre_ping=True), None
    except (ArgumentError, ImportError) as exc:
        raise DatastoreError(f"unsupported database URL {redact(url)}: {exc}") from exc


def _make_sqlite_engine(
    url: str, database: str | None, *, read_only: bool
) -> tuple[Engine, str | None]:
    on_disk = bool(database) and database != ":memory:" and not str(database).startswith("file:")
    file = str(Path(str(database)).expanduser().resolve()) if on_disk else None
    if file is not None:
        folder = Path(file).parent
        if not folder.is_dir():
            raise DatastoreError(
                f"cannot open database {url}: folder {folder} does not exist; create it "
                "or pass another --db"
            )
        if read_only and not Path(file).is_file():
            raise MissingDatabaseError(
                f"no database at {file}: nothing stored yet (run `dbtl run` to create it) "
                "or pass another --db"
            )
    connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    if read_only and file is not None:
        url = f"sqlite:///file:{quote(file)}?mode=ro&uri=true"
    engine = create_engine(url, connect_args=connect_args)

    @sa_event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if file is not None and not read_only:
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode, NORMAL keeps every commit through a process crash (SIGKILL);
            # only an OS crash or power loss can drop the last transactions.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine, file


def _refuse_event_edits(session: Session, _context: Any, _instances: Any) -> None:
    """Refuse, at flush time, any update or delete of an :class:`Event` row."""
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, Event):
            raise DatastoreError(
                "events are append-only: an existing event may not be changed or deleted"
            )
