"""Benchmarks run by ``make bench`` (``python -m benchmarks``), printed as tables.

Each module registers one or more benchmarks with
:func:`benchmarks.registry.benchmark`; a benchmark prints its own Rich
table(s). Speed figures are compared as ratios measured within one run, never
against absolute thresholds in tests.
"""

from __future__ import annotations

from benchmarks.registry import Benchmark, benchmarks


def registered() -> dict[str, Benchmark]:
    """Return every benchmark, after importing the modules that define them."""
    from benchmarks import suites  # noqa: F401  (registers the benchmarks)

    return benchmarks()
