"""Strategies registered by name.

A strategy is any object with ``suggest(problem, observations, pending, n,
seed) -> Proposal``. Built-in strategies register themselves when
:mod:`planner.strategies` is imported; users may register their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from planner.errors import UnknownStrategyError
from planner.problem import Design, Observation, Problem, Proposal


class Strategy(Protocol):
    """Proposes the next designs from what has been observed."""

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Return ``n`` new designs (fewer only if the space has no more).

        Args:
            problem: Search space and objectives.
            observations: Executed designs with their measured values (or failed).
            pending: Designs proposed or running whose results are not known yet.
            n: How many designs to propose.
            seed: Seed for every random choice; equal inputs give equal outputs.
        """
        ...


S = TypeVar("S", bound=Callable[[], Strategy])
_FACTORIES: dict[str, Callable[[], Strategy]] = {}


def register(name: str) -> Callable[[S], S]:
    """Class decorator: register a strategy factory under ``name``."""

    def decorate(factory: S) -> S:
        _FACTORIES[name] = factory
        return factory

    return decorate


def strategy_names() -> list[str]:
    """Return the registered strategy names, sorted."""
    _load_builtins()
    return sorted(_FACTORIES)


def get_strategy(name: str) -> Strategy:
    """Return a new instance of the strategy registered as ``name``.

    Raises:
        UnknownStrategyError: Listing the registered names.
    """
    _load_builtins()
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise UnknownStrategyError(
            f"unknown strategy {name!r}; registered: {', '.join(sorted(_FACTORIES))}"
        ) from None


def _load_builtins() -> None:
    import planner.strategies  # noqa: F401  (registers the built-in strategies)
