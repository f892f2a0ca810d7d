"""The migration lock never touches the database file's own POSIX locks.

Closing any descriptor of a SQLite file drops every POSIX lock the process
holds on it, SQLite's included. A lock taken on the database file itself
would let another process switch the journal mode under a live connection
(a documented way to damage a SQLite file).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from datastore import Datastore
from datastore.schema import lock_file

SWITCH_JOURNAL = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], timeout=0)\n"
    "try:\n"
    "    print(c.execute('PRAGMA journal_mode=DELETE').fetchone()[0])\n"
    "except sqlite3.OperationalError as exc:\n"
    "    print(exc)\n"
)


def test_opening_a_store_keeps_other_connections_locks(tmp_path: Path) -> None:
    database = tmp_path / "lab.db"
    Datastore(f"sqlite:///{database}").dispose()
    reader = sqlite3.connect(database)
    try:
        reader.execute("SELECT count(*) FROM campaign").fetchall()
        Datastore(f"sqlite:///{database}").dispose()  # takes and releases the migration lock
        switched = subprocess.run(
            [sys.executable, "-c", SWITCH_JOURNAL, str(database)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    finally:
        reader.close()
    assert switched == "database is locked"
    assert Path(lock_file(str(database))).is_file()
