"""Best-first retrosynthetic search over the template library, ending at the stock.

A search state is the route so far (its steps, target first) and the open
molecules it still has to make. The state with the lowest
``steps + open molecules not in stock`` is expanded first (each open molecule
needs at least one more step), by disconnecting its largest open molecule with
every template. A state whose open molecules are all in stock is a route.
The search stops at ``max_routes`` routes, ``max_expansions`` expansions or
``time_limit_s``.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass, field

from routes.chem import canonical, heavy_atoms
from routes.errors import RouteInputError
from routes.model import Route, RouteStep
from routes.retro import disconnect, make_step
from routes.stock import Stock
from routes.templates import TEMPLATES, Template


@dataclass(frozen=True)
class SearchSettings:
    """Limits of one search."""

    max_steps: int = 3
    max_routes: int = 10
    max_expansions: int = 3000
    time_limit_s: float = 8.0


@dataclass(order=True)
class _State:
    priority: tuple[float, ...]
    order: int
    steps: tuple[RouteStep, ...] = field(compare=False)
    open: tuple[str, ...] = field(compare=False)


class TemplateSearch:
    """Best-first search with a template library (the built-in one by default)."""

    def __init__(self, templates: tuple[Template, ...] = TEMPLATES) -> None:
        self.templates = templates
        self._cache: dict[str, list[RouteStep]] = {}

    def expansions(self, product: str) -> list[RouteStep]:
        """Every validated one-step disconnection of ``product`` (cached)."""
        if product not in self._cache:
            self._cache[product] = [
                make_step(t, reactants, product)
                for t in self.templates
                for reactants in disconnect(t, product)
            ]
        return self._cache[product]

    def search(self, target: str, stock: Stock, settings: SearchSettings) -> list[Route]:
        """Return ranked routes to ``target`` (solved ones first, then the best partial ones).

        Raises:
            RouteInputError: The target is invalid, already in stock, or no template applies.
        """
        target = canonical(target, "target")
        if target in stock:
            item = stock.items[target]
            raise RouteInputError(
                "target", f"{target} is already in the stock ({stock.origin}: {item.name!r})"
            )
        if not self.expansions(target):
            raise RouteInputError("target", f"no template of the library applies to {target}")
        solved, partial = self._run(target, stock, settings)
        routes = {r.key(): r for r in [*solved, *partial]}
        return rank(list(routes.values()))[: settings.max_routes]

    def _run(
        self, target: str, stock: Stock, settings: SearchSettings
    ) -> tuple[list[Route], list[Route]]:
        counter = itertools.count()
        frontier = [_State((1.0, 0.0), next(counter), (), (target,))]
        solved: list[Route] = []
        partial: list[Route] = []
        deadline = time.monotonic() + settings.time_limit_s
        expansions = 0
        while frontier and len(solved) < settings.max_routes:
            if expansions >= settings.max_expansions or time.monotonic() > deadline:
                break
            state = heapq.heappop(frontier)
            todo = [m for m in state.open if m not in stock]
            if not todo:
                solved.append(build_route(target, state.steps, stock, "templates"))
                continue
            if state.steps:
                partial.append(build_route(target, state.steps, stock, "templates"))
            if len(state.steps) >= settings.max_steps:
                continue
            expansions += 1
            for child in self._children(state, todo, stock, counter):
                heapq.heappush(frontier, child)
        if solved:
            return solved, []  # partial routes only say something when nothing is solved
        partial.sort(key=lambda r: (-r.stock_coverage, r.step_count))
        return solved, partial

    def _children(
        self, state: _State, todo: list[str], stock: Stock, counter: itertools.count[int]
    ) -> list[_State]:
        product = max(todo, key=heavy_atoms)
        made = {s.product for s in state.steps} | {product}
        rest = tuple(m for m in state.open if m != product)
        children = []
        for step in self.expansions(product):
            if any(r in made for r in step.reactants):
                continue  # a cycle: a reactant the route already makes
            steps = (*state.steps, step)
            open_ = rest + tuple(r for r in step.reactants if r not in rest)
            missing = sum(1 for m in open_ if m not in stock)
            cost = sum(stock.price(m) for m in open_)
            children.append(_State((len(steps) + missing, cost), next(counter), steps, open_))
        return children


def build_route(
    target: str, retro_steps: tuple[RouteStep, ...], stock: Stock, source: str
) -> Route:
    """Make a route from steps found target-first; leaves are flagged in or out of stock."""
    steps = tuple(reversed(retro_steps))
    made = {s.product for s in steps}
    leaves = {r: r in stock for s in steps for r in s.reactants if r not in made}
    names = {m: stock.items[m].name for m in leaves if m in stock}
    return Route(
        target=target,
        steps=steps,
        leaves=leaves,
        source=source,
        cost=round(sum(stock.price(m) for m in leaves), 4),
        names=names,
    )


def rank(routes: list[Route]) -> list[Route]:
    """Order routes: solved first, then fewer steps, higher stock coverage, lower cost."""
    return sorted(routes, key=lambda r: (not r.solved, r.step_count, -r.stock_coverage, r.cost))
