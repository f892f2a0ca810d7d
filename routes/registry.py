"""The proposer registry: every way of getting routes for a target, behind one interface.

A proposer takes a :class:`ProposalRequest` and returns ranked routes. The
built-in ``templates`` proposer searches the template library; the
``aizynthfinder`` and ``syntheseus`` proposers read the route files those
planners wrote for the target. Registering a second proposer under a taken
name is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from routes.chem import canonical
from routes.errors import RouteError, RouteInputError
from routes.interchange import read_routes
from routes.model import Route
from routes.retro import step_problems
from routes.search import SearchSettings, TemplateSearch, rank
from routes.stock import Stock


@dataclass(frozen=True)
class ProposalRequest:
    """What a proposer is asked: a target, a stock, limits, and (for readers) a route file."""

    target: str
    stock: Stock
    max_steps: int = 3
    max_routes: int = 5
    route_file: Path | None = None


Proposer = Callable[[ProposalRequest], list[Route]]
_PROPOSERS: dict[str, Proposer] = {}


def register_proposer(name: str) -> Callable[[Proposer], Proposer]:
    """Decorator: register a proposer under ``name``.

    Raises:
        RouteError: ``name`` is already taken.
    """

    def decorate(proposer: Proposer) -> Proposer:
        if name in _PROPOSERS:
            raise RouteError(f"a route proposer named {name!r} is already registered")
        _PROPOSERS[name] = proposer
        return proposer

    return decorate


def proposer_names() -> list[str]:
    """Every registered proposer."""
    return sorted(_PROPOSERS)


def propose(name: str, request: ProposalRequest) -> list[Route]:
    """Run proposer ``name`` and return its routes, every step checked with RDKit.

    Raises:
        RouteInputError: Unknown proposer, bad input, or a step that fails its check.
    """
    if name not in _PROPOSERS:
        raise RouteInputError(
            "proposer", f"unknown route proposer {name!r}; known: {', '.join(proposer_names())}"
        )
    routes = _PROPOSERS[name](request)
    for number, route in enumerate(routes, start=1):
        for index, step in enumerate(route.steps, start=1):
            problems = step_problems(step)
            if problems:
                raise RouteInputError(f"route {number} step {index}", "; ".join(problems))
    return routes


@register_proposer("templates")
def _templates(request: ProposalRequest) -> list[Route]:
    settings = SearchSettings(max_steps=request.max_steps, max_routes=request.max_routes)
    return TemplateSearch().search(request.target, request.stock, settings)


def _reader(fmt: str) -> Proposer:
    def read(request: ProposalRequest) -> list[Route]:
        if request.route_file is None:
            raise RouteInputError(fmt, f"the {fmt} proposer reads a route file; give one")
        target = canonical(request.target, "target")
        routes = [
            r for r in read_routes(request.route_file, fmt, request.stock) if r.target == target
        ]
        if not routes:
            raise RouteInputError(str(request.route_file), f"holds no route to {target}")
        return rank([r for r in routes if r.step_count <= request.max_steps])[: request.max_routes]

    return read


register_proposer("aizynthfinder")(_reader("aizynthfinder"))
register_proposer("syntheseus")(_reader("syntheseus"))
