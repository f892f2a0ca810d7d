"""Issue-17 benchmark: route proposal on the documented target set (:mod:`routes.benchmark_set`).

For every target, the built-in template proposer searches up to 3 steps
from the benchmark stock. A target counts as found when a proposed route has
every leaf in stock (each step checked with RDKit); the table also says
whether the expected route is among the proposals, and the time taken.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.table import Table

from benchmarks.registry import benchmark
from routes.benchmark_set import TARGETS, BenchmarkTarget, benchmark_stock
from routes.errors import RouteError
from routes.model import Route
from routes.registry import ProposalRequest, propose
from routes.stock import Stock


def _expected(target: BenchmarkTarget, routes: list[Route]) -> bool:
    return any(
        r.solved
        and tuple(s.template_class for s in r.steps) == target.expected_classes
        and set(r.leaves) == set(target.building_blocks)
        for r in routes
    )


def _row(target: BenchmarkTarget, stock: Stock) -> tuple[list[str], bool, float]:
    started = time.perf_counter()
    try:
        routes = propose("templates", ProposalRequest(target.smiles, stock, 3, 10))
    except RouteError as exc:
        return [target.name, "error", str(exc), "", ""], False, time.perf_counter() - started
    seconds = time.perf_counter() - started
    solved = [r for r in routes if r.solved]
    best = " → ".join(s.template_class for s in routes[0].steps) if routes else ""
    cells = [
        target.name,
        f"{len(solved)}/{len(routes)}",
        best,
        "yes" if _expected(target, routes) else "no",
        f"{seconds:.2f}",
    ]
    return cells, bool(solved), seconds


@benchmark("route-proposal")
def route_proposal(console: Console) -> None:
    """Targets with a route whose leaves are all in stock, and the time per target."""
    stock = benchmark_stock()
    table = Table(
        "target",
        "solved/proposed",
        "best route",
        "expected found",
        "seconds",
        title=f"route proposal: {len(TARGETS)} targets, max 3 steps, stock of {len(stock)}",
    )
    found = 0
    slowest = 0.0
    for target in TARGETS:
        cells, solved, seconds = _row(target, stock)
        table.add_row(*cells)
        found += solved
        slowest = max(slowest, seconds)
    console.print(table)
    console.print(
        f"{found}/{len(TARGETS)} targets with every leaf in stock; slowest {slowest:.2f} s"
    )
