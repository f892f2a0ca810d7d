"""Rooms import in one direction only, and no room's modules import each other in a circle."""

from __future__ import annotations

import pytest
from rich.console import Console

from tests.architecture.import_graph import cycles, import_graph, imported_packages

ROOMS = ("planner", "datastore", "drivers", "protocols", "routes", "simulators", "lab")

ALLOWED: dict[str, set[str]] = {
    "planner": set(),
    "datastore": set(),
    "drivers": set(),
    "routes": set(),
    "protocols": {"planner", "routes"},
    "simulators": {"drivers", "planner", "protocols"},
    "lab": {"planner", "datastore", "drivers", "protocols", "routes", "simulators"},
}
"""Which other rooms each room may import (the house plan's layering)."""


@pytest.mark.parametrize("room", ROOMS)
def test_no_import_cycles(room: str) -> None:
    assert cycles(import_graph(room)) == []


@pytest.mark.parametrize("room", ROOMS)
def test_rooms_import_only_the_rooms_below(room: str) -> None:
    others = (imported_packages(room) & set(ROOMS)) - {room}
    assert others <= ALLOWED[room], f"{room} imports {sorted(others - ALLOWED[room])}"


def test_a_cycle_is_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_registries_refuse_a_second_registration_under_one_name() -> None:
    from benchmarks.registry import benchmark
    from drivers.settings import NoSettings
    from lab.devices.catalog import register_driver
    from lab.running.executor import handles
    from planner.catalog import strategy_names
    from planner.registry import register

    assert "random" in strategy_names()  # the built-ins are registered

    def one(console: Console) -> None: ...

    def two(console: Console) -> None: ...

    benchmark("test-duplicate")(one)
    with pytest.raises(ValueError, match="benchmark 'test-duplicate' is registered twice"):
        benchmark("test-duplicate")(two)
    with pytest.raises(ValueError, match="step kind 'wait' already has a handler"):
        handles("wait")(lambda step, context: None)
    with pytest.raises(ValueError, match="strategy 'random' is registered twice"):
        register("random")(lambda **options: None)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="driver 'simulated' of 'pump' devices is registered"):
        register_driver("pump", "simulated", NoSettings)(lambda spec, settings, context: None)
