import numpy as np
import pytest

from simulators.pathway.kinetics import PathwayKinetics, sbml, simulate
from simulators.pathway.sbml_run import run_sbml
from simulators.pathway.world import BuildFailure, PathwayWorld
from tests.pathway_fixtures import small_space


def test_titer_has_an_interior_optimum_burden_and_toxicity_bite() -> None:
    kinetics = PathwayKinetics()
    levels = np.array([[1, 1, 10, 3], [10, 10, 10, 10], [0.1, 0.1, 0.1, 0.1], [10, 1, 0.1, 1]])
    titer = simulate(kinetics, levels).titer_mg_l
    assert titer[0] > titer[1] > titer[2]  # maxing every enzyme out costs growth
    assert titer[3] < titer[0] / 5  # a starved toxic-intermediate step poisons the culture


def test_sbml_document_runs_in_roadrunner_to_the_same_titer() -> None:
    pytest.importorskip("roadrunner")
    kinetics = PathwayKinetics()
    enzymes = (2.0, 0.5, 4.0, 1.0)
    final = run_sbml(sbml(kinetics, enzymes), {}, kinetics.duration_h)
    ours = simulate(kinetics, np.array([enzymes])).titer_mg_l[0]
    assert final["P"] * kinetics.product_g_mol == pytest.approx(ours, rel=1e-3)
    other = run_sbml(sbml(kinetics, enzymes), {"E3": 0.1}, kinetics.duration_h)
    assert other["P"] < final["P"]
    with pytest.raises(ValueError, match="no global parameter 'E9'"):
        run_sbml(sbml(kinetics, enzymes), {"E9": 1.0}, 1.0)


def test_world_knows_its_optimum_and_truth_is_noiseless() -> None:
    world = PathwayWorld(small_space())
    best, titer = world.optimum
    assert titer == pytest.approx(world.truth([best])[0].titer_mg_l)
    assert titer == pytest.approx(float(world.all_titers.max()))
    assert titer > 1.5 * float(np.median(world.all_titers))


def test_observations_are_noisy_keyed_and_position_dependent() -> None:
    world = PathwayWorld(small_space(), seed=3)
    design, _ = world.optimum
    centre = [world.observe(design, "D6", f"k{i}").titer_mg_l for i in range(200)]
    assert np.std(np.log(centre)) == pytest.approx(0.15, rel=0.2)
    assert world.observe(design, "D6", "k1") == world.observe(design, "D6", "k1")
    edge = [world.observe(design, "A1", f"k{i}").titer_mg_l for i in range(200)]
    assert np.mean(edge) < 0.92 * np.mean(centre)


def test_builds_fail_at_the_failure_rate_with_a_reason() -> None:
    world = PathwayWorld(small_space(), failure_rate=0.2)
    design = world.optimum[0]
    failures = 0
    for i in range(500):
        try:
            world.build(design, f"b{i}")
        except BuildFailure as exc:
            failures += 1
            assert "no correct clone" in str(exc)
    assert failures / 500 == pytest.approx(0.2, abs=0.05)
