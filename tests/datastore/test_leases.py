"""Device leases under two orchestrators racing for the same devices (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from datastore import Datastore
from datastore import leases as lease_repo

DEVICES = [f"lab:bench/device:pump{i}" for i in range(12)]


def _race(url: str, rounds: int) -> tuple[dict[str, list[str]], list[BaseException]]:
    """Two orchestrators, each with its own engine, claim devices until none is free."""
    claimed: dict[str, list[str]] = {"orch-a": [], "orch-b": []}
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def orchestrator(holder: str) -> None:
        store = Datastore(url, migrate=False)  # migrated before; Alembic is not thread-safe
        try:
            start.wait(timeout=30)
            for _ in range(rounds):
                with store.session() as session:
                    got = lease_repo.acquire_first(session, DEVICES, holder, ttl_s=60)
                if got is not None:
                    claimed[holder].append(got)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            store.dispose()

    threads = [threading.Thread(target=orchestrator, args=(h,)) for h in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return claimed, errors


def _check_disjoint_and_complete(url: str, claimed: dict[str, list[str]]) -> None:
    a, b = set(claimed["orch-a"]), set(claimed["orch-b"])
    assert not a & b, f"both orchestrators hold {sorted(a & b)}"
    assert a | b == set(DEVICES)
    store = Datastore(url)
    with store.session() as session:
        for holder, devices in claimed.items():
            assert {lease.resource for lease in lease_repo.held_by(session, holder)} == set(devices)
    store.dispose()


def test_two_orchestrators_racing_on_sqlite(sqlite_url: str) -> None:
    Datastore(sqlite_url).dispose()
    claimed, errors = _race(sqlite_url, rounds=len(DEVICES))
    assert errors == []
    _check_disjoint_and_complete(sqlite_url, claimed)


@pytest.mark.postgres
def test_two_orchestrators_racing_on_postgres(postgres_url: str) -> None:
    Datastore(postgres_url).dispose()
    claimed, errors = _race(postgres_url, rounds=len(DEVICES))
    assert errors == []
    _check_disjoint_and_complete(postgres_url, claimed)


def _timed(fn: Callable[[], bool]) -> tuple[bool, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


@pytest.mark.postgres
def test_a_claim_in_progress_is_skipped_without_waiting(postgres_url: str) -> None:
    """While one orchestrator's claim is uncommitted, the other is refused at once."""
    first, second = Datastore(postgres_url), Datastore(postgres_url)
    try:
        with first.session() as claiming:
            assert lease_repo.acquire(claiming, DEVICES[0], "orch-a", ttl_s=60)
            with second.session() as other:
                won, seconds = _timed(
                    lambda: lease_repo.acquire(other, DEVICES[0], "orch-b", ttl_s=60)
                )
                assert not won and seconds < 1.0
                assert lease_repo.acquire_first(other, DEVICES[:2], "orch-b", 60) == DEVICES[1]
        with second.session() as later:  # committed: a live lease of another holder
            assert not lease_repo.acquire(later, DEVICES[0], "orch-b", ttl_s=60)
            assert lease_repo.acquire(later, DEVICES[1], "orch-b", ttl_s=60)  # ours: extended
    finally:
        first.dispose()
        second.dispose()


def test_an_expired_lease_is_taken_over(store: Datastore) -> None:
    with store.session() as session:
        assert lease_repo.acquire(session, DEVICES[0], "crashed", ttl_s=-1)
    with store.session() as session:
        assert lease_repo.acquire(session, DEVICES[0], "orch-b", ttl_s=60)
        lease = lease_repo.current(session, DEVICES[0])
        assert lease is not None and lease.holder == "orch-b"
