"""A shared lab at scale: reads and exports of one campaign of 100,000 experiments.

``python -m benchmarks datastore-scale`` builds a Suzuki HTE campaign of
``DBTL_BENCH_EXPERIMENTS`` experiments (default 10,000) with
``DBTL_BENCH_EVENTS`` events (default 10 per experiment) on SQLite and, when
the test server answers, on PostgreSQL; ``DBTL_BENCH_FULL=1`` asks for the
full scale of 100,000 experiments and 1,000,000 events. Each operation runs
in this process (interpreter start-up and imports excluded): ``dbtl show``,
``dbtl export`` as CSV, Parquet and ORD, the review list, and the planner's
training-set read, with its wall time and the growth of the process's
resident memory while it ran (sampled every 10 ms). Targets: show and review
< 1 s, export of 100,000 rows < 10 s, memory bounded by streaming.

For repeated runs: ``DBTL_BENCH_BACKENDS`` (``sqlite,postgresql``, the
default, or either alone) picks the databases, ``DBTL_BENCH_ONLY`` (words,
comma-separated) keeps only the operations whose names contain one of them,
and ``DBTL_BENCH_KEEP`` (a folder) keeps the seeded SQLite file there and the
PostgreSQL database after the run, so that the next run with the same scale
reuses them instead of seeding again (a kept database of another scale is
seeded afresh).
"""

from __future__ import annotations

import io
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

from benchmarks.registry import benchmark
from datastore import Datastore
from datastore import repository as repo
from datastore.bulk import refresh_statistics, seed_campaign, seeded_scale
from lab.cli.main import app
from lab.review.decisions import Reviewer
from lab.running.campaigns import LoadedCampaign, load_campaign, open_campaign
from lab.running.learn import planner_inputs
from lab.running.runner import with_spec

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "suzuki_hte.yaml"
POSTGRES = os.environ.get(
    "DBTL_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)
BENCH_DATABASE = os.environ.get("DBTL_BENCH_PG_DATABASE", "dbtl_bench")
"""Throwaway PostgreSQL database the benchmark creates and drops (``DBTL_BENCH_PG_DATABASE``)."""
NAME = "scale"
BACKENDS = ("sqlite", "postgresql")


def backends() -> list[str]:
    """The databases of this run (``DBTL_BENCH_BACKENDS``: ``sqlite``, ``postgresql``).

    Raises:
        ValueError: A name that is neither.
    """
    chosen = [b.strip().lower() for b in os.environ.get("DBTL_BENCH_BACKENDS", "").split(",")]
    chosen = [b for b in chosen if b] or list(BACKENDS)
    unknown = [b for b in chosen if b not in BACKENDS]
    if unknown:
        raise ValueError(
            f"DBTL_BENCH_BACKENDS: unknown database(s) {', '.join(unknown)}; "
            f"use a comma-separated choice of {', '.join(BACKENDS)}"
        )
    return chosen


def selected(names: list[str]) -> list[str]:
    """The operation names that ``DBTL_BENCH_ONLY`` keeps (all when it is unset)."""
    words = [w.strip() for w in os.environ.get("DBTL_BENCH_ONLY", "").split(",") if w.strip()]
    return [n for n in names if not words or any(w in n for w in words)]


def kept_folder() -> Path | None:
    """Where seeded databases are kept between runs (``DBTL_BENCH_KEEP``), if anywhere."""
    folder = os.environ.get("DBTL_BENCH_KEEP")
    if not folder:
        return None
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def scale() -> tuple[int, int]:
    """(experiments, events) of this run, from the environment."""
    if os.environ.get("DBTL_BENCH_FULL") == "1":
        return 100_000, 1_000_000
    experiments = int(os.environ.get("DBTL_BENCH_EXPERIMENTS", "10000"))
    return experiments, int(os.environ.get("DBTL_BENCH_EVENTS", str(10 * experiments)))


def _design(loaded: LoadedCampaign) -> Callable[[random.Random], dict[str, Any]]:
    choices = {p.name: list(p.choices) for p in loaded.spec.parameters}  # type: ignore[union-attr]
    return lambda rng: {name: rng.choice(values) for name, values in choices.items()}


@contextmanager
def peak_rss_mb() -> Iterator[list[float]]:
    """Yield a one-item list that holds, afterwards, the RSS growth (MB) during the block."""
    process, peak, stop = psutil.Process(), [0], threading.Event()
    base = process.memory_info().rss

    def sample() -> None:
        while not stop.wait(0.01):
            peak[0] = max(peak[0], process.memory_info().rss - base)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    result = [0.0]
    try:
        yield result
    finally:
        stop.set()
        thread.join()
        peak[0] = max(peak[0], process.memory_info().rss - base)
        result[0] = peak[0] / 1e6


def _cli(*args: str) -> None:
    with redirect_stdout(io.StringIO()):
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"dbtl {' '.join(args)} failed: {result.output[-300:]}")


def _discard(_value: object) -> None:
    """Run for the time it takes; the result is not needed."""


def operations(url: str, loaded: LoadedCampaign, folder: Path) -> dict[str, Callable[[], None]]:
    """The measured operations on the seeded campaign at ``url``."""
    store = Datastore(url, migrate=False)

    def training_set() -> None:
        with store.session() as session:
            campaign = repo.get_campaign(session, NAME)
            planner_inputs(session, campaign.id or 0, loaded.problem)

    return {
        "dbtl show": lambda: _cli("show", NAME, "--db", url),
        "review list": lambda: _discard(Reviewer(store, "bench reviewer").pending(NAME)),
        "training-set read": training_set,
        "export csv": lambda: _cli("export", NAME, "--db", url, "-o", str(folder / "x.csv")),
        "export parquet": lambda: _cli(
            "export", NAME, "--db", url, "-f", "parquet", "-o", str(folder / "x.parquet")
        ),
        **{
            f"export ord (.pb, --validate {mode})": _ord_export(url, folder, mode)
            for mode in ("sample", "all", "none")
        },
    }


def _ord_export(url: str, folder: Path, mode: str) -> Callable[[], None]:
    out = str(folder / "x.pb")
    return lambda: _cli("export", NAME, "--db", url, "-f", "ord", "-o", out, "--validate", mode)


def measured(run: Callable[[], None]) -> tuple[str, str, str]:
    """Wall seconds, CPU seconds of this process, and RSS growth (MB) of one operation.

    CPU time is shown beside the wall time because a shared machine's load
    stretches the wall time of the same work.
    """
    with peak_rss_mb() as grown:
        started, cpu = time.perf_counter(), time.process_time()
        run()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return f"{seconds:.2f}", f"{cpu:.2f}", f"{grown[0]:.0f}"


def already_seeded(url: str, experiments: int, events: int) -> bool:
    """Whether ``url`` holds the benchmark campaign at this scale (a kept database)."""
    try:
        store = Datastore(url, migrate=False)
    except Exception:
        return False
    try:
        return seeded_scale(store, NAME) == (experiments, events)
    except Exception:  # no schema yet
        return False
    finally:
        store.dispose()


def seeded(url: str, loaded: LoadedCampaign, experiments: int, events: int) -> float:
    """Create and fill the campaign at ``url``; return the seconds it took."""
    started = time.perf_counter()
    store = Datastore(url)
    campaign, _ = open_campaign(store, loaded, "bench")
    seed_campaign(store, campaign.id or 0, _design(loaded), experiments, events)
    refresh_statistics(store)  # as autovacuum would after a load (the test server runs without)
    store.dispose()
    return time.perf_counter() - started


def _postgres_url(database: str = BENCH_DATABASE, fresh: bool = True) -> str | None:
    """URL of PostgreSQL database ``database``, or ``None`` if no server answers.

    With ``fresh`` it is dropped first and created empty; otherwise an
    existing one is kept as it is (and created when missing).
    """
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            exists = connection.execute(
                sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": database},
            ).first()
            if fresh and exists:
                drop = f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'
                connection.execute(sqlalchemy.text(drop))
            if fresh or not exists:
                connection.execute(sqlalchemy.text(f'CREATE DATABASE "{database}"'))
        engine.dispose()
    except Exception:
        return None
    return POSTGRES.rsplit("/", 1)[0] + f"/{database}"


@benchmark("datastore-scale")
def datastore_scale(console: Console) -> None:
    """Times and memory of show, exports, review and the training-set read, at scale."""
    experiments, events = scale()
    loaded = with_spec(load_campaign(EXAMPLE), name=NAME, budget=experiments + 1000)
    keep = kept_folder()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        urls = _urls(console, backends(), keep or folder)
        table = Table(title=f"One campaign of {experiments:,} experiments, {events:,} events")
        for column in ("database", "operation", "seconds", "CPU s", "RSS growth MB"):
            table.add_column(column, justify="right")
        for label, url in urls.items():
            if keep is not None and already_seeded(url, experiments, events):
                table.add_row(label, "seed (kept from an earlier run)", "", "", "")
            else:
                _empty(label, url)
                seed_s = seeded(url, loaded, experiments, events)
                table.add_row(label, "seed (bulk insert)", f"{seed_s:.1f}", "", "")
            chosen = operations(url, loaded, folder)
            for name in selected(list(chosen)):
                table.add_row(label, name, *measured(chosen[name]))
        console.print(table)
        if "PostgreSQL" in urls and keep is None:
            _drop_postgres()
    console.print("targets: show and review < 1 s; export of 100,000 rows < 10 s; memory bounded")


def _urls(console: Console, chosen: list[str], folder: Path) -> dict[str, str]:
    """Label → URL of each chosen database (PostgreSQL only when its server answers)."""
    urls = {}
    if "sqlite" in chosen:
        urls["SQLite"] = f"sqlite:///{folder / 'scale.db'}"
    if "postgresql" in chosen:
        postgres = _postgres_url(fresh=kept_folder() is None)
        if postgres:
            urls["PostgreSQL"] = postgres
        else:
            console.print(f"PostgreSQL not reachable at {POSTGRES}: skipped")
    return urls


def _empty(label: str, url: str) -> None:
    """Start a kept database afresh before seeding it (a fresh one is empty already)."""
    if label == "SQLite":
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    elif kept_folder() is not None:
        _postgres_url(fresh=True)


def _drop_postgres(database: str = BENCH_DATABASE) -> None:
    import sqlalchemy

    engine = sqlalchemy.create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    engine.dispose()
