"""Strategies registered by name.

A strategy is any object with ``suggest(problem, observations, pending, n,
seed) -> Proposal``. Built-in strategies register themselves when
:mod:`planner.strategies` is imported; users may register their own. A
factory's keyword arguments are the strategy's options (``StrategySpec.options``
in a campaign file).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from planner.errors import PlannerError, UnknownStrategyError
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


S = TypeVar("S", bound=Callable[..., Strategy])
_FACTORIES: dict[str, Callable[..., Strategy]] = {}


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


def get_strategy(name: str, options: Mapping[str, Any] | None = None) -> Strategy:
    """Return a new instance of the strategy registered as ``name``.

    Args:
        name: Registered name.
        options: Keyword arguments of the strategy's factory.

    Raises:
        UnknownStrategyError: Listing the registered names.
        PlannerError: An option the strategy does not have, or a bad option value.
    """
    _load_builtins()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownStrategyError(
            f"unknown strategy {name!r}; registered: {', '.join(sorted(_FACTORIES))}"
        ) from None
    options = dict(options or {})
    known = strategy_options(name)
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise PlannerError(
            f"strategy {name!r} has no option(s) {', '.join(unknown)}; "
            f"its options: {', '.join(known) or 'none'}"
        )
    try:
        return factory(**options)
    except (TypeError, ValueError) as exc:
        raise PlannerError(f"strategy {name!r}: {exc}") from None


def strategy_options(name: str) -> list[str]:
    """Return the option names of the strategy registered as ``name``."""
    _load_builtins()
    signature = inspect.signature(_FACTORIES[name])
    return [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def _load_builtins() -> None:
    import planner.strategies  # noqa: F401  (registers the built-in strategies)
