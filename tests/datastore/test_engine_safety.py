"""The engine under bad conditions: damaged files, read-only opens, concurrent first runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from datastore import Datastore, DatastoreError
from datastore import repository as repo
from datastore.errors import DamagedDatabaseError, MissingDatabaseError
from datastore.health import check_database
from datastore.models import Campaign
from tests.conftest import ROOT


def filled(path: Path, campaigns: int = 3) -> str:
    url = f"sqlite:///{path}"
    store = Datastore(url)
    with store.session() as session:
        for number in range(campaigns):
            repo.create_campaign(
                session,
                Campaign(
                    name=f"c{number}",
                    spec_yaml="x: " + "y" * 3000,
                    spec_hash="h",
                    strategy="random",
                    seed=0,
                    budget=4,
                    batch_size=1,
                ),
                actor="tester",
            )
    store.dispose()
    with sqlite3.connect(path) as connection:  # fold the WAL into the file
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return url


def corrupt_pages(path: Path, first_page: int = 3) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for start in range(first_page * page, len(data), page):
        data[start : start + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))


def test_read_only_open_never_creates_a_file(tmp_path: Path) -> None:
    target = tmp_path / "none.db"
    with pytest.raises(MissingDatabaseError, match=r"no database at .*none\.db"):
        Datastore.for_reading(f"sqlite:///{target}")
    assert list(tmp_path.iterdir()) == []


def test_read_only_open_of_a_read_only_file(tmp_path: Path) -> None:
    url = filled(tmp_path / "ro.db")
    (tmp_path / "ro.db").chmod(0o444)
    store = Datastore.for_reading(url)
    with store.session() as session:
        assert [c.name for c in repo.list_campaigns(session)] == ["c0", "c1", "c2"]
    store.dispose()


def test_random_bytes_are_not_a_dbtl_database(tmp_path: Path) -> None:
    path = tmp_path / "noise.db"
    path.write_bytes(os.urandom(10_000))
    for read_only in (False, True):
        with pytest.raises(DamagedDatabaseError) as caught:
            Datastore(f"sqlite:///{path}", read_only=read_only)
        message = str(caught.value)
        assert message.endswith(
            "is not a dbtl database or is damaged (file is not a database): run `dbtl db check`"
        )
        assert "\n" not in message


def test_damaged_pages_are_reported_on_read_and_write(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    url = filled(path)
    corrupt_pages(path)
    before = path.read_bytes()
    for store in (Datastore(url, migrate=False), Datastore(url, read_only=True, migrate=False)):
        with pytest.raises(DamagedDatabaseError, match="run `dbtl db check`"), store.session() as s:
            [c.spec_yaml for c in repo.list_campaigns(s)]
        store.dispose()
    assert path.read_bytes() == before
    report = check_database(url)
    assert not report.ok and any("malformed" in p or "integrity" in p for p in report.problems)


def test_check_of_a_sound_and_an_outdated_database(tmp_path: Path) -> None:
    url = filled(tmp_path / "ok.db")
    report = check_database(url)
    assert report.ok and report.counts["campaign"] == 3
    with sqlite3.connect(tmp_path / "ok.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    report = check_database(url)
    assert report.outdated and "dbtl db check --upgrade" in report.problems[0]
    with pytest.raises(DatastoreError, match="schema revision 0001"):
        Datastore.for_reading(url)


@pytest.mark.slow
def test_eight_first_runs_at_once_on_a_new_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    start_at = time.time() + 4.0
    script = (
        "import sys, time\n"
        "from datastore import Datastore\n"
        "from datastore import repository as repo\n"
        "from datastore.models import Campaign\n"
        f"time.sleep(max(0.0, {start_at} - time.time()))\n"
        "store = Datastore(sys.argv[1])\n"
        "with store.session() as s:\n"
        "    repo.create_campaign(s, Campaign(name=sys.argv[2], spec_yaml='x', spec_hash='h',\n"
        "        strategy='random', seed=0, budget=1, batch_size=1), actor='t')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, f"run{n}"],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(8)
    ]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0] * 8, errors
    store = Datastore.for_reading(url)
    with store.session() as session:
        assert sorted(c.name for c in repo.list_campaigns(session)) == [f"run{n}" for n in range(8)]
