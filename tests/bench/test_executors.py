"""The Ray executor runs the same jobs to the same results as the local one."""

from __future__ import annotations

from pathlib import Path

import pytest

from datastore import Datastore
from lab.bench.executors import ExecutorError, LocalExecutor, make_executor
from lab.bench.runs import BenchJob, JobResult
from lab.bench.scenarios import TableScenario
from lab.bench.tables import load_dataset
from tests.bench.tables import write_grid


def _jobs(tmp_path: Path, name: str) -> list[BenchJob]:
    scenario = TableScenario(load_dataset(write_grid(tmp_path / "grid.csv"), "yield"), "grid")
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    Datastore(url).dispose()
    return [
        BenchJob(scenario.write(tmp_path / name, s, seed, 9, 3), url, s, seed, "yield", "maximize")
        for s in ("bo", "random")
        for seed in (0, 1)
    ]


def _values(results: list[JobResult]) -> list[tuple[str, int, list[float]]]:
    return [(r.strategy, r.seed, [float(row["value"]) for row in r.rows]) for r in results]


@pytest.mark.slow
def test_ray_and_local_executors_agree(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    finished: list[tuple[str, int]] = []
    local = LocalExecutor().run(_jobs(tmp_path, "local"), lambda r: None)
    executor = make_executor("ray", workers=2)
    try:
        remote = executor.run(
            _jobs(tmp_path, "ray"), lambda r: finished.append((r.strategy, r.seed))
        )
    finally:
        executor.close()
    assert _values(remote) == _values(local)
    assert sorted(finished) == [("bo", 0), ("bo", 1), ("random", 0), ("random", 1)]


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ExecutorError, match="unknown executor 'dask'; use local or ray"):
        make_executor("dask")


def test_ray_and_baybe_are_imported_only_when_asked_for() -> None:
    import subprocess
    import sys

    code = (
        "import sys, lab.cli, planner; planner.strategy_names(); "
        "print(sorted(m for m in ('ray', 'baybe') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
