"""Where strategies register by name: the protocol they follow and the table of factories.

A strategy is any object with ``suggest(problem, observations, pending, n,
seed) -> Proposal``. Built-in strategies register themselves when
:mod:`planner.strategies` is imported; users may register their own. Looking
strategies up (and loading the built-ins) is :mod:`planner.catalog`'s job, so
this module imports no strategy and strategies may import it freely.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol, TypeVar

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
    """Class decorator: register a strategy factory under ``name``.

    Raises:
        ValueError: Another factory already has that name.
    """

    def decorate(factory: S) -> S:
        _refuse_duplicate("strategy", name, _FACTORIES.get(name), factory)
        _FACTORIES[name] = factory
        return factory

    return decorate


def _refuse_duplicate(what: str, name: str, existing: object, new: object) -> None:
    if existing is not None and existing is not new:
        raise ValueError(
            f"{what} {name!r} is registered twice ({getattr(existing, '__module__', '?')} and "
            f"{getattr(new, '__module__', '?')}); give one of them another name"
        )


def factories() -> Mapping[str, Callable[..., Strategy]]:
    """The factories registered so far, by name (read-only view)."""
    return dict(_FACTORIES)
