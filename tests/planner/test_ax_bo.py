import time

import pytest

from planner import (
    CategoricalParameter,
    FloatParameter,
    Objective,
    Observation,
    OrdinalParameter,
    OutcomeConstraint,
    Problem,
    SearchSpace,
    suggest,
)
from planner.diagnostics import fit_quality


def quadratic_problem() -> Problem:
    return Problem(
        space=SearchSpace(
            parameters=(
                FloatParameter(name="x", bounds=(0, 1)),
                FloatParameter(name="y", bounds=(0, 1)),
            )
        ),
        objectives=(Objective(name="f", direction="minimize"),),
    )


def f(d: dict) -> float:
    return (d["x"] - 0.3) ** 2 + (d["y"] - 0.7) ** 2


def test_initial_designs_come_from_sobol() -> None:
    proposal = suggest(quadratic_problem(), [], [], 3, seed=0, strategy="bo")
    assert proposal.report.diagnostics["generator"] == "sobol init"
    assert proposal.report.n_train == 0


@pytest.mark.slow
def test_model_based_proposals_carry_predictions_and_cv() -> None:
    problem = quadratic_problem()
    observations: list[Observation] = []
    for _ in range(3):
        proposal = suggest(problem, observations, [], 3, seed=0, strategy="bo")
        observations += [
            Observation(s.parameters, {"f": f(s.parameters)}) for s in proposal.suggestions
        ]
    last = proposal
    assert last.report.diagnostics["generator"] == "ax:MBM"
    assert set(last.report.diagnostics["cv"]["f"]) == {"r2", "rmse", "coverage_95", "n"}
    assert all("f" in s.predictions for s in last.suggestions)
    best = min(f(o.parameters) for o in observations)
    assert best < 0.05  # the model has moved toward the minimum at (0.3, 0.7)
    for s in last.suggestions:
        assert problem.space.is_feasible(s.parameters)


@pytest.mark.slow
def test_failed_observations_are_not_zeros() -> None:
    problem = quadratic_problem()
    base = [
        Observation({"x": x, "y": y}, {"f": f({"x": x, "y": y})})
        for x, y in [(0.1, 0.1), (0.9, 0.9), (0.5, 0.5), (0.2, 0.8), (0.8, 0.2), (0.3, 0.3)]
    ]
    failed = [Observation({"x": 0.3, "y": 0.7}, failed=True)]
    proposal = suggest(problem, base + failed, [], 2, seed=1, strategy="bo")
    assert proposal.report.n_train == len(base)


def test_fit_quality_metrics() -> None:
    perfect = fit_quality([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.1, 0.1, 0.1])
    assert perfect["r2"] == 1.0 and perfect["rmse"] == 0.0 and perfect["coverage_95"] == 1.0
    off = fit_quality([1.0, 2.0, 3.0], [2.0, 2.0, 2.0], [0.1, 0.1, 10.0])
    assert off["r2"] == pytest.approx(0.0)
    assert off["coverage_95"] == pytest.approx(2 / 3)


def mixed_problem(**space_fields: object) -> Problem:
    space = SearchSpace.model_validate(
        {
            "parameters": [
                FloatParameter(name="temperature_c", bounds=(20, 120)),
                FloatParameter(name="time_min", bounds=(1, 60)),
                CategoricalParameter(name="solvent", choices=("MeCN", "THF", "MeOH")),
                OrdinalParameter(name="loading", levels=(0.5, 1.0, 2.0)),
            ],
            "constraints": ["0.05 * temperature_c + time_min <= 50"],
            **space_fields,
        }
    )
    return Problem(space=space, objectives=(Objective(name="y"),))


def g(d: dict) -> float:
    solvent = {"MeCN": 0.0, "THF": 0.5, "MeOH": 0.2}[d["solvent"]]
    return solvent - ((d["temperature_c"] - 80) / 50) ** 2 - ((d["time_min"] - 20) / 30) ** 2


@pytest.mark.slow
def test_mixed_space_batch_respects_fixed_values_and_exclusions() -> None:
    problem = mixed_problem(
        exclusions=["solvent = MeOH and loading = 2"], fixed_per_batch=["solvent"]
    )
    observations = [
        Observation(s.parameters, {"y": g(s.parameters)})
        for s in suggest(problem, [], [], 9, 0, "sobol").suggestions
    ]
    started = time.perf_counter()
    proposal = suggest(problem, observations, [], 3, 0, "bo")
    assert time.perf_counter() - started < 30  # was about a minute before the budgeted optimizer
    designs = [s.parameters for s in proposal.suggestions]
    assert len(designs) == 3
    assert len({d["solvent"] for d in designs}) == 1
    assert all(problem.space.is_feasible(d) for d in designs)
    assert proposal.report.diagnostics["generator"].startswith("ax:MBM")
    assert set(proposal.report.diagnostics["cv"]["y"]) == {"r2", "rmse", "coverage_95", "n"}


@pytest.mark.slow
def test_excluded_optimum_is_never_proposed() -> None:
    problem = mixed_problem(exclusions=["solvent = THF"])  # THF is the best solvent
    observations = [
        Observation(s.parameters, {"y": g(s.parameters)})
        for s in suggest(problem, [], [], 8, 3, "sobol").suggestions
    ]
    proposal = suggest(problem, observations, [], 4, 0, "bo")
    assert len(proposal.suggestions) == 4
    assert all(s.parameters["solvent"] != "THF" for s in proposal.suggestions)


@pytest.mark.slow
def test_two_objectives_and_an_outcome_constraint_on_ranges() -> None:
    problem = Problem(
        space=quadratic_problem().space,
        objectives=(Objective(name="f", direction="minimize"), Objective(name="g")),
        outcome_constraints=(OutcomeConstraint.model_validate("h <= 0.8"),),
    )

    def measure(d: dict) -> dict[str, float]:
        return {"f": f(d), "g": d["x"] + d["y"], "h": d["y"]}

    observations = [
        Observation(s.parameters, measure(s.parameters))
        for s in suggest(problem, [], [], 8, 0, "sobol").suggestions
    ]
    proposal = suggest(problem, observations, [], 3, 0, "bo")
    assert len(proposal.suggestions) == 3
    assert all(set(s.predictions) == {"f", "g", "h"} for s in proposal.suggestions)
    assert set(proposal.report.diagnostics["cv"]) == {"f", "g", "h"}
