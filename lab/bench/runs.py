"""Run one benchmark campaign through the ordinary loop, and read its trace back.

A job is a campaign file and a datastore URL; running it is exactly what
``dbtl run`` does (create or resume, plan, approve, build, run, record). The
trace is read from the datastore afterwards, so a resumed job reports the
whole campaign, not only what this process ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datastore import Datastore
from datastore import repository as repo
from lab.bench.scenarios import Criterion
from lab.bench.summary import best_so_far
from lab.bench.tables import Direction
from lab.running.campaigns import load_campaign
from lab.running.runner import run_campaign
from planner.threads import configure_process_threads

TRACE_COLUMNS = ("strategy", "seed", "experiment", "value", "best_so_far", "suggest_seconds")


@dataclass(frozen=True)
class BenchJob:
    """One strategy and seed: its campaign file and where to record it."""

    campaign: Path
    db_url: str
    strategy: str
    seed: int
    objective: str
    direction: Direction
    criteria: tuple[Criterion, ...] = ()
    threads: int = 1
    """torch threads for the whole run: equal on every executor, so results are equal."""


@dataclass(frozen=True)
class JobResult:
    """What one job measured: a trace row per experiment and when each criterion was met."""

    strategy: str
    seed: int
    rows: list[dict[str, float | int | str]]
    first_met: dict[str, int | None] = field(default_factory=dict)
    """Criterion name → first experiment (1-based) that met it, ``None`` if none did."""


def run_job(job: BenchJob) -> JobResult:
    """Run (or resume) the job's campaign to its budget and return its trace.

    Raises:
        SpecError: The campaign file does not load.
        DatastoreError: The datastore refused the work.
    """
    loaded = load_campaign(job.campaign)
    store = Datastore(job.db_url)  # a no-op on a shared datastore already migrated
    try:
        configure_process_threads(job.threads)  # one job at a time per worker process
        run_campaign(store, loaded, lab_wait_s=60.0)
        return read_trace(store, loaded.spec.name, job)
    finally:
        store.dispose()


def warm_up() -> None:
    """Import what every job needs, so that a fresh worker's first job does not wait for it."""
    import planner.discrete_bo
    import planner.strategies  # noqa: F401


def read_trace(store: Datastore, campaign: str, job: BenchJob) -> JobResult:
    """The campaign's experiments in proposal order, with values and planner times."""
    with store.session() as session:
        stored = repo.get_campaign(session, campaign)
        campaign_id = stored.id or 0
        experiments = repo.list_experiments(session, campaign_id)
        measured = repo.campaign_measurements(session, campaign_id)
        seconds = {s.cycle: s.suggest_seconds for s in repo.list_snapshots(session, campaign_id)}
    values = [measured.get(e.id or 0, {}) for e in experiments]
    objective = [v.get(job.objective, float("nan")) for v in values]
    best = best_so_far(objective, job.direction)
    rows: list[dict[str, float | int | str]] = [
        {
            "strategy": job.strategy,
            "seed": job.seed,
            "experiment": i,
            "value": value,
            "best_so_far": float(b),
            "suggest_seconds": seconds.get(e.cycle, float("nan")),
        }
        for i, (e, value, b) in enumerate(zip(experiments, objective, best, strict=True), start=1)
    ]
    first_met = {c.name: _first(values, c) for c in job.criteria}
    return JobResult(job.strategy, job.seed, rows, first_met)


def _first(values: Sequence[dict[str, float]], criterion: Criterion) -> int | None:
    return next((i for i, v in enumerate(values, start=1) if criterion.met(v)), None)
