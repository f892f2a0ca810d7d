import pytest

from drivers.errors import DeviceError
from simulators.route_station import RouteWorldStation
from simulators.route_world import (
    CLASS_RESPONSES,
    RouteWorld,
    StepConditions,
    StepResponse,
    StepSpace,
)

SUZUKI = "Nc1ccc(Br)cc1.OB(O)c1ccccc1>>Nc1ccc(-c2ccccc2)cc1"
SPACE = StepSpace((40.0, 120.0), (1.0, 2.0), (10.0, 240.0), ("ether", "aromatic", "protic"))


def test_each_reaction_has_its_own_seeded_response() -> None:
    a = StepResponse.for_reaction("suzuki", SUZUKI, SPACE.solvents)
    again = StepResponse.for_reaction("suzuki", SUZUKI, SPACE.solvents)
    other = StepResponse.for_reaction(
        "suzuki", "Brc1ccccc1.OB(O)c1ccccc1>>c1ccc(-c2ccccc2)cc1", SPACE.solvents
    )
    assert a == again
    assert a.temperature_opt_c != other.temperature_opt_c
    assert abs(a.temperature_opt_c - CLASS_RESPONSES["suzuki"][0]) <= 12


def test_the_optimum_beats_every_grid_point_and_sits_near_the_class_optimum() -> None:
    r = StepResponse.for_reaction("suzuki", SUZUKI, SPACE.solvents)
    best, value = r.optimum(SPACE)
    assert best.solvent == "ether"  # the class's first solvent class is its best
    grid = [
        r.fraction(t, e, m, s)
        for t in (40, 60, 80, 100, 120)
        for e in (1.0, 1.5, 2.0)
        for m in (10, 60, 240)
        for s in SPACE.solvents
    ]
    assert value >= max(grid) - 1e-9
    assert 0.5 < value <= 1.0
    assert abs(best.temperature_c - r.temperature_opt_c) < 15


def test_route_yield_is_the_product_of_the_steps_and_noise_is_seeded_by_key() -> None:
    world = RouteWorld(noise_relative_sd=0.05)
    r = world.response("suzuki", SUZUKI, SPACE.solvents)
    conditions = StepConditions(85.0, 1.3, 60.0, "ether")
    steps = [(r, conditions), (r, conditions)]
    truth = world.truth(steps)
    assert RouteWorld.overall(truth) == pytest.approx(truth[0] * truth[1])
    assert world.observe(steps, "k1") == world.observe(steps, "k1")
    assert world.observe(steps, "k1") != world.observe(steps, "k2")
    assert RouteWorld(noise_relative_sd=0.0).observe(steps, "k") == truth


def _conditions(**changes: object) -> dict[str, str | float]:
    base: dict[str, str | float] = {
        "steps": 1.0,
        "s1_class": "suzuki",
        "s1_reaction": SUZUKI,
        "s1_solvents": "ether|aromatic|protic",
        "s1_temperature_c": 85.0,
        "s1_equivalents": 1.3,
        "s1_time_min": 60.0,
        "s1_solvent": "ether",
    }
    return base | changes  # type: ignore[operator]


def test_the_station_reports_step_and_route_yields_and_refuses_bad_recipes() -> None:
    station = RouteWorldStation("rw", RouteWorld(noise_relative_sd=0.0))
    values = station.run(_conditions(), "run-1")
    assert values["yield_pct"] == pytest.approx(values["s1_yield_pct"])
    assert station.recall("run-1", _conditions()) == values
    bad = _conditions()
    del bad["s1_solvent"]
    with pytest.raises(DeviceError, match="step 1 lacks condition 's1_solvent'"):
        station.run(bad, "run-2")
