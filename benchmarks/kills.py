"""SIGKILL ``dbtl run`` in a child process once its database holds a number of events.

What the fault benchmark and the crash-and-resume tests both do: start
``dbtl run`` on a SQLite file, watch the file (read-only) from outside, and
kill the process with SIGKILL, which no handler can soften, at chosen
thresholds of stored events.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository, put on the child's ``PYTHONPATH``."""
KILL_TIMEOUT_S = 180.0
"""How long to wait for a threshold (and then for the run to end) before giving up."""
POLL_S = 0.005
"""How often the event count is read while waiting for a threshold."""


def event_count(db_path: Path) -> int:
    """Events stored so far (read-only; 0 before the schema exists)."""
    try:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            return int(connection.execute("SELECT count(*) FROM event").fetchone()[0])
        finally:
            connection.close()
    except sqlite3.OperationalError:  # not created yet
        return 0


def dbtl_run(campaign: Path, db_path: Path, stderr: int = subprocess.PIPE) -> subprocess.Popen[str]:
    """Start ``dbtl run campaign`` on the SQLite file ``db_path`` in a child process.

    Args:
        campaign: The campaign file.
        db_path: The SQLite database file (created on first use).
        stderr: Where the child's standard error goes (``subprocess.PIPE`` to
            read it with ``communicate``, ``subprocess.DEVNULL`` to drop it).
    """
    return subprocess.Popen(
        [sys.executable, "-m", "lab.cli", "run", str(campaign), "--db", f"sqlite:///{db_path}"],
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"},
    )


def kill_when(
    process: subprocess.Popen[str],
    db_path: Path,
    events: int,
    timeout_s: float = KILL_TIMEOUT_S,
    poll_s: float = POLL_S,
) -> bool:
    """SIGKILL ``process`` once ``db_path`` holds ``events`` events; wait for it to end.

    Args:
        process: A ``dbtl run`` child writing to ``db_path``.
        db_path: Its SQLite database file.
        events: The threshold of stored events.
        timeout_s: How long to wait for the threshold, and then for the
            process to end by itself.
        poll_s: How often the event count is read.

    Returns:
        True if it was killed; False if it ended (or the wait timed out) first.

    Raises:
        subprocess.TimeoutExpired: It neither reached the threshold nor ended in time.
    """
    deadline = time.monotonic() + timeout_s
    while process.poll() is None and time.monotonic() < deadline:
        if event_count(db_path) >= events:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(poll_s)
    process.wait(timeout=timeout_s)
    return False


def kill_at(
    campaign: Path,
    db_path: Path,
    thresholds: list[int],
    timeout_s: float = KILL_TIMEOUT_S,
    poll_s: float = POLL_S,
) -> int:
    """Run ``dbtl run campaign`` once per threshold, each killed at it; return the kills.

    A run that ends before its threshold (the campaign finished) counts no
    kill. The campaign is left unfinished: run it once more to the end. Nobody
    reads a killed run's output, so it is dropped.

    Args:
        campaign: The campaign file.
        db_path: Its SQLite database file.
        thresholds: Stored-event counts to kill at, one run each, in order.
        timeout_s: See :func:`kill_when`.
        poll_s: See :func:`kill_when`.

    Raises:
        subprocess.TimeoutExpired: A run neither reached its threshold nor ended in time.
    """
    kills = 0
    for threshold in thresholds:
        process = dbtl_run(campaign, db_path, subprocess.DEVNULL)
        kills += kill_when(process, db_path, threshold, timeout_s, poll_s)
    return kills
