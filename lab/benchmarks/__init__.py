"""Benchmarks run by ``make bench`` (``python -m lab.benchmarks``), printed as tables.

Each module registers one or more benchmarks with :func:`benchmark`; a
benchmark prints its own Rich table(s). Speed figures are compared as ratios
measured within one run, never against absolute thresholds in tests.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console

Benchmark = Callable[[Console], None]
_REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register a benchmark under ``name`` (used to select it on the command line)."""

    def decorate(fn: Benchmark) -> Benchmark:
        _REGISTRY[name] = fn
        return fn

    return decorate


def registered() -> dict[str, Benchmark]:
    """Return every benchmark, after importing the modules that define them."""
    from lab.benchmarks import suites  # noqa: F401  (registers the benchmarks)

    return dict(_REGISTRY)
