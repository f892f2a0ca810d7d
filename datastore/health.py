"""Check a database without changing it: is it a dbtl database, whole, at this version's schema?"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from datastore import schema
from datastore.engine import Datastore, redact
from datastore.errors import DatastoreError

MAX_REPORTED_PROBLEMS = 10


@dataclass
class HealthReport:
    """What ``dbtl db check`` found.

    Attributes:
        url: The database checked (password redacted).
        problems: One line each; empty when the database is sound.
        revision: The stored schema revision(s), when readable.
        head: The revision(s) this dbtl expects.
        counts: Rows per main table, when readable.
    """

    url: str
    problems: list[str] = field(default_factory=list)
    revision: str = "?"
    head: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems

    @property
    def outdated(self) -> bool:
        """True when the schema is readable but older than this dbtl's."""
        return self.revision not in ("?", self.head)


def check_database(url: str) -> HealthReport:
    """Inspect ``url`` read-only: integrity (SQLite), schema revision, table counts.

    Raises:
        DatastoreError: The database cannot be opened at all (missing file, bad URL).
    """
    report = HealthReport(redact(url), head=", ".join(sorted(schema.head_revisions())))
    store = Datastore(url, migrate=False, read_only=url.startswith("sqlite"))
    try:
        with store.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                report.problems += _sqlite_integrity(connection)
            if report.ok:
                _read_schema(connection, report)
    except DBAPIError as exc:
        report.problems.append(str(getattr(exc, "orig", exc)).strip().splitlines()[0])
    except DatastoreError as exc:
        report.problems.append(str(exc))
    finally:
        store.dispose()
    return report


def _sqlite_integrity(connection) -> list[str]:  # type: ignore[no-untyped-def]
    rows = connection.execute(text(f"PRAGMA integrity_check({MAX_REPORTED_PROBLEMS})"))
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else [f"integrity: {line}" for line in found]


def _read_schema(connection, report: HealthReport) -> None:  # type: ignore[no-untyped-def]
    stored = schema.stored_revisions(connection)
    if stored is None:
        report.problems.append("the database is empty (no dbtl tables)")
        return
    report.revision = ", ".join(sorted(stored)) or "none"
    if report.outdated:
        report.problems.append(
            f"schema revision {report.revision}, this dbtl expects {report.head}: "
            "run `dbtl db check --upgrade`"
        )
    for table in ("campaign", "experiment", "event", "measurement"):
        count = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        report.counts[table] = int(count)
