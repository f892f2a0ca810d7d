"""Looking strategies up by name, with the built-ins loaded on first use.

Options a strategy used to have and no longer has (``RETIRED_OPTIONS``) are
still accepted, so that old campaign files keep loading: they are dropped
with a warning that says what to do instead.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Mapping
from typing import Any

from planner.errors import PlannerError, UnknownStrategyError
from planner.model_options import DEFAULT_OPTIONS, FitsSurrogate, SurrogateOptions
from planner.registry import Strategy, factories

RETIRED_OPTIONS: Mapping[str, str] = {
    "threads": (
        "the strategy option 'threads' is ignored: torch's thread count is set once per "
        "process (planner.threads.configure_process_threads, which dbtl calls at start-up); "
        "remove 'threads' from the campaign's strategy options"
    ),
}
"""Retired option name -> the message shown when a campaign still sets it."""


def surrogate_options(name: str, options: Mapping[str, Any] | None = None) -> SurrogateOptions:
    """How strategy ``name`` with ``options`` builds its outcome models.

    For a strategy without GP surrogates of its own (random, Sobol, peers),
    the candidate-set strategy's defaults.

    Raises:
        UnknownStrategyError: Listing the registered names.
        PlannerError: An option the strategy does not have, or a bad option value.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # retired options: the loop warns
        strategy = get_strategy(name, options)
    if isinstance(strategy, FitsSurrogate):
        return strategy.surrogate_options
    return DEFAULT_OPTIONS


def strategy_names() -> list[str]:
    """Return the registered strategy names, sorted."""
    return sorted(_loaded())


def get_strategy(name: str, options: Mapping[str, Any] | None = None) -> Strategy:
    """Return a new instance of the strategy registered as ``name``.

    Args:
        name: Registered name.
        options: Keyword arguments of the strategy's factory (retired ones are
            dropped with a :class:`FutureWarning`).

    Raises:
        UnknownStrategyError: Listing the registered names.
        PlannerError: An option the strategy does not have, or a bad option value.
    """
    factory = _factory(name)
    options = dict(options or {})
    for retired in sorted(set(options) & set(RETIRED_OPTIONS)):
        warnings.warn(RETIRED_OPTIONS[retired], FutureWarning, stacklevel=2)
        del options[retired]
    known = _own_options(name)
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
    """Option names a campaign may give the strategy ``name`` (retired ones included).

    Raises:
        UnknownStrategyError: ``name`` is not registered.
    """
    return [*_own_options(name), *(r for r in RETIRED_OPTIONS if r not in _own_options(name))]


def _own_options(name: str) -> list[str]:
    signature = inspect.signature(_factory(name))
    return [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]


def _factory(name: str) -> Any:
    registered = _loaded()
    try:
        return registered[name]
    except KeyError:
        raise UnknownStrategyError(
            f"unknown strategy {name!r}; registered: {', '.join(sorted(registered))}"
        ) from None


def _loaded() -> Mapping[str, Any]:
    import planner.strategies  # noqa: F401  (registers the built-in strategies)

    return factories()
