"""Where benchmark jobs run: in this process, one after another, or on a Ray cluster.

Both executors run the same :func:`~lab.bench.runs.run_job` with the same
inputs, so the same seeds give the same results. Ray is an optional extra,
imported only when the Ray executor is created.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from lab.bench.runs import BenchJob, JobResult, run_job, warm_up

OnDone = Callable[[JobResult], None]


class ExecutorError(Exception):
    """The executor cannot run here (Ray missing, cluster unreachable)."""


class Executor(Protocol):
    """Runs jobs and reports each one as it finishes."""

    def run(self, jobs: Sequence[BenchJob], on_done: OnDone) -> list[JobResult]:
        """Run every job; results come back in the order of ``jobs``."""
        ...

    def close(self) -> None:
        """Release what the executor holds."""
        ...


class LocalExecutor:
    """Runs jobs one after another in this process."""

    def run(self, jobs: Sequence[BenchJob], on_done: OnDone) -> list[JobResult]:
        """Run every job in order."""
        results = []
        for job in jobs:
            result = run_job(job)
            on_done(result)
            results.append(result)
        return results

    def close(self) -> None:
        """Nothing to release."""


class RayExecutor:
    """Runs jobs as Ray tasks, one CPU each: on a local cluster or on ``address``."""

    def __init__(self, address: str | None = None, workers: int = 2) -> None:
        """Start a local Ray cluster with ``workers`` CPUs, or connect to ``address``.

        Raises:
            ExecutorError: Ray is not installed, or the cluster cannot be reached.
        """
        try:
            import ray
        except ImportError:
            raise ExecutorError(
                "--executor ray needs Ray: pip install -c constraints.txt 'dbtl[bench]'"
            ) from None
        if workers < 1:
            raise ExecutorError(f"--workers must be at least 1, got {workers}")
        self._ray = ray
        # No runtime_env: setting one up delays every worker's start; each job
        # pins torch to one thread itself (BenchJob.threads).
        options: dict[str, Any] = {
            "log_to_driver": False,
            "configure_logging": False,
        }
        if address is None:
            options |= {"num_cpus": workers, "include_dashboard": False}
        else:
            options |= {"address": address}
        try:
            ray.init(**options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {address}" if address else "a local Ray cluster"
            raise ExecutorError(f"cannot start or reach {where}: {exc}") from None
        self._task = ray.remote(num_cpus=1, max_retries=0)(run_job)
        if address is None:  # each worker imports while the driver reads the table
            warm = ray.remote(num_cpus=1)(warm_up)
            self._warming = [warm.remote() for _ in range(workers)]

    def run(self, jobs: Sequence[BenchJob], on_done: OnDone) -> list[JobResult]:
        """Submit every job, report each as it finishes, return them in order."""
        ray = self._ray
        pending = {self._task.remote(job): i for i, job in enumerate(jobs)}
        results: list[JobResult | None] = [None] * len(jobs)
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                result = ray.get(ref)
                results[pending.pop(ref)] = result
                on_done(result)
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Shut down the local cluster (or disconnect from a remote one)."""
        self._ray.shutdown()


def make_executor(name: str, address: str | None = None, workers: int = 2) -> Executor:
    """The executor called ``name`` (``local`` or ``ray``).

    Raises:
        ExecutorError: Unknown name, or Ray unavailable.
    """
    if name == "local":
        return LocalExecutor()
    if name == "ray":
        return RayExecutor(address, workers)
    raise ExecutorError(f"unknown executor {name!r}; use local or ray")
