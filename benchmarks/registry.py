"""The registry of ``make bench`` benchmarks; each module registers its own (:func:`benchmark`)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console

Benchmark = Callable[[Console], None]
_REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Register a benchmark under ``name`` (used to select it on the command line).

    Raises:
        ValueError: Another benchmark already has that name.
    """

    def decorate(fn: Benchmark) -> Benchmark:
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not fn:
            raise ValueError(
                f"benchmark {name!r} is registered twice ({existing.__module__} and "
                f"{fn.__module__}); give one of them another name"
            )
        _REGISTRY[name] = fn
        return fn

    return decorate


def benchmarks() -> dict[str, Benchmark]:
    """The benchmarks registered so far, by name."""
    return dict(_REGISTRY)
