"""Full factorial designs, fixed-per-batch parameters and strategy options."""

import pandas as pd
import pytest

from planner import (
    CandidateSet,
    CategoricalParameter,
    FloatParameter,
    InfeasibleSpaceError,
    IntParameter,
    Objective,
    Observation,
    OrdinalParameter,
    PlannerError,
    Problem,
    SearchSpace,
    strategy_names,
    strategy_options,
    suggest,
)


def grid_problem(**space_fields: object) -> Problem:
    space = SearchSpace.model_validate(
        {
            "parameters": [
                CategoricalParameter(name="s", choices=("a", "b")),
                IntParameter(name="n", bounds=(1, 3)),
            ],
            **space_fields,
        }
    )
    return Problem(space=space, objectives=(Objective(name="f"),))


def designs(problem: Problem, observed: list[dict], n: int, strategy: str, **options: object):
    observations = [Observation(d, {"f": 0.0}) for d in observed]
    proposal = suggest(problem, observations, [], n, 0, strategy, options or None)
    return [s.parameters for s in proposal.suggestions]


def test_factorial_walks_the_grid_in_standard_order_without_repeats() -> None:
    problem = grid_problem()
    first = designs(problem, [], 4, "factorial")
    assert [(d["s"], d["n"]) for d in first] == [("a", 1), ("a", 2), ("a", 3), ("b", 1)]
    rest = designs(problem, first, 4, "factorial")
    assert [(d["s"], d["n"]) for d in rest] == [("b", 2), ("b", 3)]
    with pytest.raises(InfeasibleSpaceError, match="complete: all 6 combinations"):
        designs(problem, first + rest, 1, "factorial")


def test_factorial_respects_exclusions_and_splits_ranges_when_asked() -> None:
    problem = grid_problem(exclusions=["s = a and n in (1, 2)"])
    assert [(d["s"], d["n"]) for d in designs(problem, [], 2, "factorial")] == [
        ("a", 3),
        ("b", 1),
    ]
    ranged = Problem(
        space=SearchSpace(parameters=(FloatParameter(name="x", bounds=(1, 100), log_scale=True),)),
        objectives=(Objective(name="f"),),
    )
    with pytest.raises(PlannerError, match="'x' is a continuous range"):
        designs(ranged, [], 1, "factorial")
    assert [d["x"] for d in designs(ranged, [], 3, "factorial", levels=3)] == pytest.approx(
        [1.0, 10.0, 100.0]
    )


def test_factorial_over_a_candidate_table_takes_rows_in_order() -> None:
    problem = grid_problem()
    table = pd.DataFrame({"s": ["b", "a", "b"], "n": [3, 2, 1]})
    problem = problem.model_copy(update={"candidates": CandidateSet(problem.space, table)})
    assert [(d["s"], d["n"]) for d in designs(problem, [], 2, "factorial")] == [
        ("b", 3),
        ("a", 2),
    ]


@pytest.mark.parametrize("strategy", ["random", "sobol", "lhs", "factorial"])
def test_fixed_per_batch_parameters_share_one_value(strategy: str) -> None:
    space = SearchSpace(
        parameters=(
            OrdinalParameter(name="temperature_c", levels=(25.0, 50.0, 75.0)),
            CategoricalParameter(name="s", choices=("a", "b", "c", "d")),
            FloatParameter(name="x", bounds=(0, 1)),
        ),
        fixed_per_batch=("temperature_c",),
    )
    problem = Problem(space=space, objectives=(Objective(name="f"),))
    options = {"levels": 2} if strategy == "factorial" else {}
    batch = designs(problem, [], 6, strategy, **options)
    assert len(batch) == 6
    assert len({d["temperature_c"] for d in batch}) == 1


@pytest.mark.parametrize("strategy", ["random", "sobol"])
def test_fixed_per_batch_over_candidates_picks_a_group_big_enough(strategy: str) -> None:
    space = SearchSpace(
        parameters=(
            OrdinalParameter(name="temperature_c", levels=(25.0, 50.0)),
            CategoricalParameter(name="s", choices=("a", "b", "c")),
        ),
        fixed_per_batch=("temperature_c",),
    )
    table = pd.DataFrame({"temperature_c": [25.0, 50.0, 50.0, 50.0], "s": ["a", "a", "b", "c"]})
    problem = Problem(
        space=space, objectives=(Objective(name="f"),), candidates=CandidateSet(space, table)
    )
    for seed in range(5):
        proposal = suggest(problem, [], [], 3, seed, strategy)
        assert {s.parameters["temperature_c"] for s in proposal.suggestions} == {50.0}


def test_strategy_options_are_checked_by_name() -> None:
    assert {"bo", "bo-candidates", "factorial", "lhs", "random", "sobol"} <= set(strategy_names())
    assert "failures" in strategy_options("bo-candidates")
    with pytest.raises(PlannerError, match=r"has no option.*colour.*its options: levels"):
        suggest(grid_problem(), [], [], 1, 0, "factorial", {"colour": "red"})
    with pytest.raises(PlannerError, match="levels must be at least 2"):
        suggest(grid_problem(), [], [], 1, 0, "factorial", {"levels": 1})
