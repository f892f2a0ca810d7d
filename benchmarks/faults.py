"""``make bench`` / ``python -m benchmarks faults``: injected faults and SIGKILLs, as figures.

Four runs, each a whole campaign resumed until it finishes:

- the emulated SnAr bench (every command over a real socket), three faults
  per experiment in rotation: a reply swallowed (the driver times out), a
  garbled reply, a truncated reply, every connection of a device dropped
  mid-command, an HPLC report that never comes, the database locked by
  another writer for a second, and (every tenth) the whole bench losing
  power for 2 s;
- the Suzuki HTE plates (dry run), one fault every other plate: the robot
  not answering, the connection dropped after the robot ran, a garbled or
  missing plate read, the database locked;
- each again with ``dbtl run`` killed by SIGKILL at increasing numbers of
  stored events, then run once more to the end.

The table gives, per run, the faults (or kills) injected, whether the
campaign finished its budget, the experiments lost (left open, or numbers
missing), duplicated (run twice), charged to infrastructure (failed by a
fault: the goal is 0) and flagged for a person (``needs_attention``, not
counted in the budget).
"""

from __future__ import annotations

import logging
import random
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.fault_campaigns import (
    Bench,
    Tally,
    cycle_of,
    emulated_bench,
    hte_campaign,
    spread,
    tally,
)
from benchmarks.kills import dbtl_run, kill_at
from benchmarks.registry import benchmark
from datastore import Datastore
from datastore.models import Experiment
from drivers.errors import (
    DeviceConnectionError,
    DeviceNoReplyError,
    DeviceProtocolError,
    DeviceTimeoutError,
)
from drivers.liquid_handler import LiquidHandler
from drivers.plate_reader import PlateReader
from lab.running.campaigns import LoadedCampaign, load_campaign
from lab.running.outages import DeviceOutageError
from lab.running.reporting import Reporter, SilentReporter
from lab.running.runner import run_campaign
from lab.services import devices as device_service
from lab.services.actor import Actor

EMULATED_KINDS = ["timeout", "garble", "truncate", "disconnect", "missing report", "db locked"]
HTE_KINDS = ["robot timeout", "disconnect mid-run", "garbled read", "missing read", "db locked"]


@dataclass
class Row:
    """One line of the table."""

    campaign: str
    injected: str
    tally: Tally
    seconds: float
    restored: int = 0
    """Devices the operator put back in service after faults took them out."""


def lock_database(db_path: Path, hold_s: float) -> None:
    """Hold the SQLite write lock from another connection for ``hold_s`` (in a thread)."""

    def hold() -> None:
        connection = sqlite3.connect(db_path, timeout=5, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            time.sleep(hold_s)
            connection.execute("COMMIT")
        except sqlite3.OperationalError:
            pass
        finally:
            connection.close()

    threading.Thread(target=hold, daemon=True).start()


class EmulatedFaults(SilentReporter):
    """Injects three faults into each experiment of the emulated bench as it starts."""

    def __init__(self, bench: Bench, db_path: Path, seed: int = 1) -> None:
        self.bench = bench
        self.db_path = db_path
        self.kinds = cycle_of(EMULATED_KINDS)
        self.random = random.Random(seed)
        self.injected = 0
        self.started = 0

    def experiment_started(self, experiment: Experiment) -> None:
        """Schedule this experiment's faults (and every tenth, a power cut)."""
        self.started += 1
        power_cut = self.started % 10 == 0
        threading.Thread(target=self._inject, args=(power_cut,), daemon=True).start()

    def _inject(self, power_cut: bool) -> None:
        for delay in (0.05, 0.3, 0.6):
            time.sleep(delay)
            if self.bench.emulated.running:
                self._one(next(self.kinds))
        if power_cut and self.bench.emulated.running:
            self.injected += 1
            self.bench.emulated.stop()
            time.sleep(2.0)
            self.bench.emulated.restart()

    def _one(self, kind: str) -> None:
        devices = self.bench.emulated.devices
        wired = sorted(n for n, d in devices.items() if d.server is not None)
        name = self.random.choice(wired)
        self.injected += 1
        if kind == "missing report":
            devices["hplc"].emulator.drop_reports += 1
        elif kind == "db locked":
            lock_database(self.db_path, 1.0)
        elif kind == "disconnect" and hasattr(devices[name].server, "drop_connections"):
            devices[name].server.drop_connections()
        else:
            faults = devices[name].server.faults
            field = {"timeout": "silent", "garble": "garble", "truncate": "truncate"}.get(kind)
            setattr(faults, field or "silent", getattr(faults, field or "silent") + 1)


OPERATOR = Actor("fault-bench operator", "cli")
"""Who puts devices back in service in this benchmark (recorded on the events)."""


def put_back_in_service(store: Datastore, loaded: LoadedCampaign) -> int:
    """Put every device the campaign's lab took out of service back in it; return how many.

    Faults injected on one device (three lost reports in a row) take it out of
    service, and a campaign then waits for a person: here the benchmark is that
    person, and the table counts the times it stepped in.
    """
    broken = device_service.lab_status(store, loaded.lab).out_of_service
    for device in broken:
        device_service.set_in_service(
            store, loaded.lab.name, device, True, OPERATOR, "back in service after injected faults"
        )
    return len(broken)


def resume_until_finished(
    store: Datastore,
    loaded: LoadedCampaign,
    reporter: Reporter | None = None,
    runs: int = 8,
    on_outage: Callable[[], None] | None = None,
) -> tuple[Tally, int]:
    """Run the campaign until it finishes, as an operator would; tally it.

    After an outage the campaign is run again (``on_outage`` first, e.g. to
    restart the emulators); when it waits for a device out of service, the
    device is put back in service. Returns the tally and how many devices were
    put back.
    """
    restored = 0
    for _ in range(runs):
        try:
            if run_campaign(store, loaded, reporter, wait=False).finished:
                break
        except DeviceOutageError:
            if on_outage is not None:
                on_outage()
            continue
        restored += put_back_in_service(store, loaded)
    return tally(store, loaded.spec.name), restored


def emulated_with_faults(folder: Path, budget: int) -> Row:
    """The emulated SnAr bench, three faults per experiment."""
    started = time.monotonic()
    bench = emulated_bench(folder, budget)
    db_path = folder / "run.db"
    store = Datastore(f"sqlite:///{db_path}")
    injector = EmulatedFaults(bench, db_path)
    try:
        loaded = load_campaign(bench.campaign_path)
        result, restored = resume_until_finished(
            store, loaded, injector, on_outage=bench.emulated.restart
        )
    finally:
        bench.emulated.stop()
        store.dispose()
    seconds = time.monotonic() - started
    return Row("SnAr, emulated bench", f"{injector.injected} faults", result, seconds, restored)


@contextmanager
def hte_faults(db_path: Path) -> Iterator[list[int]]:
    """Make every other plate meet one fault of :data:`HTE_KINDS` (robot or reader side)."""
    counter, kinds = [0], cycle_of(HTE_KINDS)
    injected = [0]
    run, read = LiquidHandler.run, PlateReader.read_plate
    pending: list[str] = []

    def faulty_run(self: LiquidHandler, program, key):  # type: ignore[no-untyped-def]
        counter[0] += 1
        if counter[0] % 2:
            return run(self, program, key)
        kind = next(kinds)
        injected[0] += 1
        if kind == "robot timeout":
            raise DeviceNoReplyError(self.name, "no reply to POST /runs within 30 s (injected)")
        report = run(self, program, key)
        if kind == "disconnect mid-run":
            raise DeviceConnectionError(self.name, "connection lost during the run (injected)")
        if kind == "db locked":
            lock_database(db_path, 1.0)
        else:
            pending.append(kind)
        return report

    def faulty_read(self: PlateReader, labware, wells, key):  # type: ignore[no-untyped-def]
        if pending:
            kind = pending.pop()
            if kind == "garbled read":
                raise DeviceProtocolError(self.name, "garbled export (injected)")
            raise DeviceTimeoutError(self.name, "no export within 600 s (injected)")
        return read(self, labware, wells, key)

    LiquidHandler.run = faulty_run  # type: ignore[method-assign]
    PlateReader.read_plate = faulty_read  # type: ignore[method-assign]
    try:
        yield injected
    finally:
        LiquidHandler.run = run  # type: ignore[method-assign]
        PlateReader.read_plate = read  # type: ignore[method-assign]


def hte_with_faults(folder: Path, budget: int, plate: int) -> Row:
    """The Suzuki HTE plates, one fault every other plate."""
    started = time.monotonic()
    campaign = hte_campaign(folder, budget, plate)
    db_path = folder / "run.db"
    store = Datastore(f"sqlite:///{db_path}")
    with hte_faults(db_path) as injected:
        result, restored = resume_until_finished(store, load_campaign(campaign))
    store.dispose()
    seconds = time.monotonic() - started
    return Row("Suzuki HTE plates", f"{injected[0]} faults", result, seconds, restored)


def with_kills(name: str, campaign: Path, db_path: Path, budget: int, kills: int) -> Row:
    """Kill ``dbtl run`` at ``kills`` points spread over the campaign, then finish it."""
    started = time.monotonic()
    done = kill_at(campaign, db_path, spread(kills, 3, 6 * budget))
    dbtl_run(campaign, db_path, subprocess.DEVNULL).wait(timeout=600)
    store = Datastore(f"sqlite:///{db_path}")
    result = tally(store, load_campaign(campaign).spec.name)
    store.dispose()
    return Row(name, f"{done} SIGKILLs", result, time.monotonic() - started)


def fault_table(rows: list[Row]) -> Table:
    """The benchmark's figures."""
    table = Table(title="Faults and kills: what they cost")
    for column in (
        "campaign", "injected", "finished", "experiments", "lost", "duplicated",
        "charged to infrastructure", "flagged for a person", "put back in service", "s",
    ):  # fmt: skip
        table.add_column(column, justify="left" if column == "campaign" else "right")
    for row in rows:
        t = row.tally
        finished = "yes" if t.finished else "NO"
        table.add_row(
            row.campaign, row.injected, finished, str(sum(t.statuses.values())),
            str(t.lost), str(t.duplicated), str(t.charged), str(t.statuses["needs_attention"]),
            str(row.restored), f"{row.seconds:.0f}",
        )  # fmt: skip
    return table


QUIET = {"drivers": logging.ERROR, "lab": logging.ERROR, "pymodbus": logging.CRITICAL}
"""Loggers silenced while faults are injected (every retry would print a warning)."""


@benchmark("faults")
def faults(console: Console) -> None:
    """At least 100 injected faults and 50 SIGKILLs on two campaigns; print what they cost."""
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
    with tempfile.TemporaryDirectory(prefix="dbtl-faults-") as folder:
        root = Path(folder)
        rows = [emulated_with_faults(root / "emulated", budget=20)]
        rows.append(hte_with_faults(root / "hte", budget=24, plate=4))
        bench = emulated_bench(root / "emulated-kills", budget=10)
        try:
            rows.append(
                with_kills("SnAr, emulated bench", bench.campaign_path, root / "ek.db", 10, 30)
            )
        finally:
            bench.emulated.stop()
        campaign = hte_campaign(root / "hte-kills", budget=24, plate=4)
        rows.append(with_kills("Suzuki HTE plates", campaign, root / "hk.db", 24, 30))
    console.print(fault_table(rows))
