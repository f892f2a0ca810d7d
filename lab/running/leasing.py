"""Exclusive use of labs and devices, across threads and across processes.

Two layers:

* :class:`LeaseKeeper` holds leases in the datastore for this process and
  renews them from a background thread; another process (a second
  orchestrator) cannot take a resource until our lease lapses.
* :class:`DeviceArbiter` shares one lab's devices among the campaigns of one
  process: a campaign waits until every device its protocol needs is free,
  and when several wait, the highest priority goes first.
"""

from __future__ import annotations

import itertools
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from datastore import Datastore, DatastoreError
from datastore import leases as lease_repo
from datastore.models import utcnow

LEASE_TTL_S = 30.0
RENEW_EVERY_S = LEASE_TTL_S / 3


class LeaseUnavailableError(DatastoreError):
    """A lab or device is leased by another holder."""


def lab_resource(lab: str) -> str:
    """The lease name of a whole lab (held by the process serving it)."""
    return f"lab:{lab}"


def device_resource(lab: str, device: str) -> str:
    """The lease name of one device."""
    return f"device:{lab}/{device}"


def holder_is_dead(holder: str) -> bool:
    """Whether ``holder`` (``user@host:pid``) is a process of this host that no longer runs.

    A crashed orchestrator's leases would otherwise block its own restart until
    they lapse; holders on other hosts are left to their time-to-live.
    """
    try:
        host_part, pid_text = holder.rsplit(":", 1)
        host, pid = host_part.split("@", 1)[1], int(pid_text)
    except (ValueError, IndexError):
        return False
    if host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class LeaseKeeper:
    """Takes, renews and releases this process's leases in the datastore."""

    def __init__(self, store: Datastore, holder: str, ttl_s: float = LEASE_TTL_S) -> None:
        self.store = store
        self.holder = holder
        self.ttl_s = ttl_s
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost: list[str] = []

    def try_acquire(self, resource: str, campaign_id: int | None = None) -> bool:
        """Take ``resource`` if free, ours, or held by a dead process of this host."""
        with self.store.session() as session:
            ok = lease_repo.acquire(session, resource, self.holder, self.ttl_s, campaign_id)
            if not ok:
                lease = lease_repo.current(session, resource)
                if lease is not None and holder_is_dead(lease.holder):
                    ok = lease_repo.take_over(
                        session, resource, lease.holder, self.holder, self.ttl_s
                    )
        if ok:
            with self._lock:
                self._held.add(resource)
            self._ensure_renewing()
        return ok

    def acquire(self, resource: str, wait_s: float = 0.0, campaign_id: int | None = None) -> None:
        """Take ``resource``, waiting up to ``wait_s`` for another holder's lease to lapse.

        Raises:
            LeaseUnavailableError: Naming the current holder and when its lease ends.
        """
        deadline = time.monotonic() + wait_s
        while not self.try_acquire(resource, campaign_id):
            if time.monotonic() >= deadline:
                raise LeaseUnavailableError(self.describe_holder(resource))
            time.sleep(min(1.0, max(deadline - time.monotonic(), 0.01)))

    def describe_holder(self, resource: str) -> str:
        """A sentence saying who holds ``resource`` and for how long."""
        with self.store.session() as session:
            lease = lease_repo.current(session, resource)
        if lease is None:
            return f"{resource} is free"
        remaining = (lease.expires_at - utcnow()).total_seconds()
        return (
            f"{resource} is held by {lease.holder} (lease renewed every "
            f"{RENEW_EVERY_S:.0f} s; lapses {remaining:.0f} s after its holder stops)"
        )

    def release(self, resources: Iterable[str]) -> None:
        """Give up ``resources``."""
        resources = list(resources)
        with self._lock:
            self._held.difference_update(resources)
        with self.store.session() as session:
            lease_repo.release(session, resources, self.holder)

    def close(self) -> None:
        """Stop renewing and release every lease."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            held = list(self._held)
            self._held.clear()
        if held:
            with self.store.session() as session:
                lease_repo.release(session, held, self.holder)

    def _ensure_renewing(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._renew_loop, name="lease-renewal", daemon=True
            )
            self._thread.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(RENEW_EVERY_S * self.ttl_s / LEASE_TTL_S):
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            try:
                with self.store.session() as session:
                    lost = lease_repo.renew(session, held, self.holder, self.ttl_s)
            except DatastoreError:
                continue  # the next round tries again; leases outlive a missed renewal
            if lost:
                with self._lock:
                    self._held.difference_update(lost)
                self.lost.extend(lost)


@dataclass(order=True)
class _Waiter:
    priority: int
    order: int
    devices: frozenset[str] = field(compare=False)


class DeviceArbiter:
    """Grants a lab's devices to campaigns of this process, highest priority first."""

    def __init__(self, lab: str, keeper: LeaseKeeper) -> None:
        self.lab = lab
        self.keeper = keeper
        self._busy: set[str] = set()
        self._waiting: list[_Waiter] = []
        self._condition = threading.Condition()
        self._order = itertools.count()

    @contextmanager
    def hold(
        self,
        devices: Iterable[str],
        priority: int,
        campaign_id: int | None = None,
        timeout_s: float | None = None,
    ) -> Iterator[bool]:
        """Hold every device in ``devices`` for the block; yield False if not granted in time."""
        wanted = frozenset(devices)
        granted = self._wait_for(wanted, priority, timeout_s)
        if not granted:
            yield False
            return
        resources = [device_resource(self.lab, d) for d in sorted(wanted)]
        taken = [r for r in resources if self.keeper.try_acquire(r, campaign_id)]
        try:
            if len(taken) != len(resources):
                yield False
            else:
                yield True
        finally:
            self.keeper.release(taken)
            with self._condition:
                self._busy -= wanted
                self._condition.notify_all()

    def _wait_for(self, wanted: frozenset[str], priority: int, timeout_s: float | None) -> bool:
        me = _Waiter(-priority, next(self._order), wanted)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._condition:
            self._waiting.append(me)
            try:
                while not self._my_turn(me):
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._condition.wait(remaining)
                self._busy |= wanted
                return True
            finally:
                self._waiting.remove(me)
                self._condition.notify_all()

    def _my_turn(self, me: _Waiter) -> bool:
        """Free devices, and no waiter ranked before me wants any of them."""
        if me.devices & self._busy:
            return False
        return not any(other < me and other.devices & me.devices for other in self._waiting)
