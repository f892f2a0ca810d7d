"""The SIGKILL helper of the fault benchmark and the crash tests: kill at a count of events."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from benchmarks.kills import event_count, kill_when


def events_table(db_path: Path, rows: int) -> None:
    connection = sqlite3.connect(db_path)
    connection.execute("CREATE TABLE event (id INTEGER PRIMARY KEY)")
    connection.executemany("INSERT INTO event DEFAULT VALUES", [()] * rows)
    connection.commit()
    connection.close()


def sleeper() -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], text=True)


def test_event_count_is_zero_before_the_schema_exists(tmp_path: Path) -> None:
    assert event_count(tmp_path / "none.db") == 0
    events_table(tmp_path / "run.db", 3)
    assert event_count(tmp_path / "run.db") == 3


def test_a_run_is_killed_once_the_threshold_is_stored(tmp_path: Path) -> None:
    db_path = tmp_path / "run.db"
    events_table(db_path, 5)
    process = sleeper()
    assert kill_when(process, db_path, 5)
    assert process.returncode == -signal.SIGKILL


def test_a_run_that_ends_before_its_threshold_is_not_counted_as_a_kill(tmp_path: Path) -> None:
    db_path = tmp_path / "run.db"
    events_table(db_path, 1)
    process = subprocess.Popen([sys.executable, "-c", "pass"], text=True)
    assert not kill_when(process, db_path, 5)
    assert process.returncode == 0
