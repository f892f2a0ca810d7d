import numpy as np
import pytest

from planner import Objective, Observation, Problem, suggest
from planner.catalog import get_strategy
from planner.errors import PlannerError
from planner.pathway.replicates import aggregate
from simulators.pathway.world import PathwayWorld
from tests.pathway_fixtures import small_space


def _problem() -> tuple[Problem, PathwayWorld]:
    space = small_space()
    world = PathwayWorld(space, seed=2)
    problem = Problem(
        space=space.search_space(),
        objectives=(Objective(name="titer_mg_l"),),
        candidates=space.candidates(),
    )
    return problem, world


def _measure(
    world: PathwayWorld, designs: list[dict], cycle: int, replicates: int = 1
) -> list[Observation]:
    return [
        Observation(d, {"titer_mg_l": world.observe(d, "D5", f"{cycle}-{i}-{r}").titer_mg_l})
        for i, d in enumerate(designs)
        for r in range(replicates)
    ]


def test_first_batch_is_an_orthogonal_array_then_the_model_learns() -> None:
    problem, world = _problem()
    first = suggest(problem, [], [], n=32, seed=1, strategy="ensemble")
    assert first.report.diagnostics["generator"] == "orthogonal-array"
    observations = _measure(world, [s.parameters for s in first.suggestions], 0, replicates=2)
    second = suggest(problem, observations, [], n=16, seed=1, strategy="ensemble")
    report = second.report.diagnostics
    assert report["n_replicated"] == 32 and report["noise_sd"] == pytest.approx(0.15, abs=0.06)
    assert report["cv_spearman"] > 0.3
    assert 0.7 <= report["coverage_95"] <= 1.0
    seen = {tuple(sorted(o.parameters.items())) for o in observations}
    assert all(tuple(sorted(s.parameters.items())) not in seen for s in second.suggestions)
    titers = [world.truth([s.parameters])[0].titer_mg_l for s in second.suggestions]
    assert max(titers) >= np.percentile(world.all_titers, 90)
    prediction = second.suggestions[0].predictions["titer_mg_l"]
    assert prediction.mean > 0 and prediction.sd > 0


def test_failed_builds_are_not_proposed_again_nor_read_as_zero() -> None:
    problem, world = _problem()
    first = suggest(problem, [], [], n=24, seed=3, strategy="ensemble")
    designs = [s.parameters for s in first.suggestions]
    observations = _measure(world, designs[:20], 0) + [
        Observation(d, failed=True) for d in designs[20:]
    ]
    assert len(aggregate(observations, problem.space.names, "titer_mg_l").designs) == 20
    again = suggest(
        problem, observations, [], n=8, seed=3, strategy="ensemble", options={"model": "forest"}
    )
    proposed = [s.parameters for s in again.suggestions]
    assert not any(p in designs[20:] for p in proposed)


def test_equal_inputs_give_equal_batches_and_bad_options_are_refused() -> None:
    problem, world = _problem()
    first = suggest(problem, [], [], n=16, seed=5, strategy="ensemble")
    observations = _measure(world, [s.parameters for s in first.suggestions], 0)
    a = suggest(problem, observations, [], n=8, seed=5, strategy="ensemble")
    b = suggest(problem, observations, [], n=8, seed=5, strategy="ensemble")
    assert [s.parameters for s in a.suggestions] == [s.parameters for s in b.suggestions]
    with pytest.raises(PlannerError, match="model must be"):
        get_strategy("ensemble", {"model": "svm"})


def test_log_normal_moments_are_exact_and_stay_finite_for_very_wide_predictions() -> None:
    import math
    import warnings

    from planner.strategies.ensemble import lognormal_moments

    value, sd = lognormal_moments(1.0, 0.5)
    assert value == pytest.approx(math.exp(1.0 + 0.125))
    assert sd == pytest.approx(value * math.sqrt(math.expm1(0.25)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning either
        wide = lognormal_moments(2.0, 40.0)
        huge = lognormal_moments(600.0, 40.0)
    assert all(math.isfinite(x) for x in (*wide, *huge)) and wide[1] > 1e100
