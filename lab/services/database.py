"""The database itself: is it a whole dbtl database at this version's schema, and upgrading it."""

from __future__ import annotations

from datastore import Datastore
from datastore.health import HealthReport, check_database

__all__ = ["HealthReport", "check"]


def check(url: str, upgrade: bool = False) -> HealthReport:
    """Check integrity (SQLite), schema revision and contents; change nothing unless ``upgrade``.

    With ``upgrade``, a sound database whose only problem is an older schema
    is migrated to this version's, then checked again.
    """
    report = check_database(url)
    if upgrade and report.outdated and len(report.problems) == 1:
        Datastore(url).dispose()  # opening a datastore migrates it
        report = check_database(url)
    return report
