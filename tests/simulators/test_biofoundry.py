"""The simulated biofoundry grows what the devices' own records say was done, nothing else."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest

from lab.devices.assembly import build_devices, connected
from lab.running.campaigns import load_campaign
from lab.running.plate_runner import run_plate
from protocols.golden_gate import GoldenGateSettings
from simulators.clock import SimulatedClock
from simulators.pathway.biofoundry import Biofoundry
from simulators.pathway.world import PathwayWorld
from tests.lab.test_pathway_campaign import write_example
from tests.pathway_fixtures import small_space


def test_parts_in_any_order_assemble_into_their_design_and_a_broken_set_into_nothing() -> None:
    space = small_space()
    bench = Biofoundry(PathwayWorld(space))
    design = space.candidates().rows()[37]
    parts = list(space.construct(design).part_ids)
    random.Random(1).shuffle(parts)
    assert bench.design_of(parts) == design
    assert bench.design_of([p for p in parts if p != "crtI"]) is None  # the circle is open
    promoters = [p for p in parts if p.startswith("P1_")]
    other = "P1_weak" if promoters == ["P1_strong"] else "P1_strong"
    assert bench.design_of([*parts, other]) is None  # two parts compete for one overhang


def _plate(tmp_path: Path, count: int = 3, **settings: object):
    loaded = load_campaign(write_example(tmp_path, budget=count, batch=count))
    builder = loaded.builder
    builder.settings = dataclasses.replace(builder.settings, **settings)  # type: ignore[attr-defined]
    rows = loaded.problem.candidates.rows()[::3001][:count]  # type: ignore[union-attr]
    plan = builder.build_plate(list(enumerate(rows, start=1)), "t")  # type: ignore[attr-defined]
    with connected(build_devices(loaded.lab, SimulatedClock())) as devices:
        readings = run_plate(plan.protocol, loaded.lab, devices, "t/plate-1")
    return builder.plate_outcomes(plan.protocol, readings)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_constructs_grow_when_the_protocol_does_everything_right(tmp_path: Path) -> None:
    outcomes = _plate(tmp_path, count=4)
    grew = [o for o in outcomes.values() if not isinstance(o, str)]
    assert len(grew) >= 3  # a build fails now and then (5 %), as it does at the bench
    values = [{m.name: m.value for m in o} for o in grew]
    assert all(v["live_wells"] >= 2 and v["titer_mg_l"] > 0 for v in values)


@pytest.mark.slow
def test_too_few_digestion_ligation_cycles_give_no_clone(tmp_path: Path) -> None:
    settings = GoldenGateSettings(transformation=True, cycles=5)
    outcomes = _plate(tmp_path, golden_gate=settings)
    assert all(isinstance(o, str) and "no viable clone" in o for o in outcomes.values())


@pytest.mark.slow
def test_a_plate_incubated_too_cold_grows_nothing_not_even_the_controls(tmp_path: Path) -> None:
    outcomes = _plate(tmp_path, temperature_c=15.0)
    assert all(isinstance(o, str) and "empty-vector control" in o for o in outcomes.values())
