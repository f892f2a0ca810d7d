import itertools

import pandas as pd
import pytest

from planner import (
    CandidateSet,
    CategoricalParameter,
    FloatParameter,
    InfeasibleSpaceError,
    IntParameter,
    LinearConstraint,
    Objective,
    Observation,
    PlannerError,
    Problem,
    SearchSpace,
    UnknownStrategyError,
    suggest,
)

MODEL_FREE = ["random", "sobol", "lhs"]


def continuous_problem() -> Problem:
    return Problem(
        space=SearchSpace(
            parameters=(
                FloatParameter(name="x", bounds=(0, 10)),
                FloatParameter(name="y", bounds=(1, 1000), log_scale=True),
                IntParameter(name="n", bounds=(1, 4)),
            ),
            constraints=(LinearConstraint.model_validate("x + n <= 8"),),
        ),
        objectives=(Objective(name="f"),),
    )


def discrete_problem() -> Problem:
    return Problem(
        space=SearchSpace(
            parameters=(
                CategoricalParameter(name="s", choices=("a", "b", "c")),
                IntParameter(name="n", bounds=(1, 2)),
            )
        ),
        objectives=(Objective(name="f"),),
    )


@pytest.mark.parametrize("strategy", MODEL_FREE)
def test_designs_are_feasible_and_reproducible(strategy: str) -> None:
    problem = continuous_problem()
    first = suggest(problem, [], [], 12, seed=3, strategy=strategy)
    again = suggest(problem, [], [], 12, seed=3, strategy=strategy)
    other = suggest(problem, [], [], 12, seed=4, strategy=strategy)
    designs = [s.parameters for s in first.suggestions]
    assert len(designs) == 12
    assert all(problem.space.is_feasible(d) for d in designs)
    assert designs == [s.parameters for s in again.suggestions]
    assert designs != [s.parameters for s in other.suggestions]


@pytest.mark.parametrize("strategy", MODEL_FREE)
def test_stream_continues_across_cycles(strategy: str) -> None:
    problem = continuous_problem()
    batch1 = [s.parameters for s in suggest(problem, [], [], 4, 1, strategy).suggestions]
    seen = [Observation(d, {"f": 1.0}) for d in batch1]
    batch2 = [s.parameters for s in suggest(problem, seen, [], 4, 1, strategy).suggestions]
    assert not set(map(str, batch1)) & set(map(str, batch2))


@pytest.mark.parametrize("strategy", MODEL_FREE)
def test_discrete_space_never_repeats_observed_or_pending(strategy: str) -> None:
    problem = discrete_problem()
    observed = [Observation({"s": "a", "n": 1}, {"f": 0.0})]
    pending = [{"s": "b", "n": 2}]
    designs = [
        s.parameters for s in suggest(problem, observed, pending, 4, 0, strategy).suggestions
    ]
    keys = {(d["s"], d["n"]) for d in designs}
    assert len(keys) == 4
    assert ("a", 1) not in keys and ("b", 2) not in keys


def test_exhausted_discrete_space_is_reported() -> None:
    problem = discrete_problem()
    with pytest.raises(InfeasibleSpaceError, match="has 6 designs"):
        suggest(problem, [], [], 7, 0, "random")


def test_candidate_sets_only_yield_table_rows() -> None:
    space = discrete_problem().space
    table = pd.DataFrame({"s": ["a", "b", "c", "a"], "n": [1, 1, 2, 2]})
    problem = Problem(
        space=space, objectives=(Objective(name="f"),), candidates=CandidateSet(space, table)
    )
    designs = [s.parameters for s in suggest(problem, [], [], 4, 0, "sobol").suggestions]
    assert sorted((d["s"], d["n"]) for d in designs) == [("a", 1), ("a", 2), ("b", 1), ("c", 2)]
    with pytest.raises(InfeasibleSpaceError, match="only 0 of 4 candidates are left"):
        suggest(problem, [Observation(d) for d in designs], [], 1, 0, "random")


def test_candidate_table_errors_name_the_culprit() -> None:
    space = discrete_problem().space
    with pytest.raises(PlannerError, match="unknown column"):
        CandidateSet(space, pd.DataFrame({"s": ["a"], "n": [1], "extra": [0]}))
    with pytest.raises(PlannerError, match="lacks column"):
        CandidateSet(space, pd.DataFrame({"s": ["a"]}))
    with pytest.raises(PlannerError, match="missing value in column 'n', row 2"):
        CandidateSet(space, pd.DataFrame({"s": ["a", "b"], "n": [1, None]}))
    with pytest.raises(PlannerError, match="row 1: s='z' is not allowed"):
        CandidateSet(space, pd.DataFrame({"s": ["z"], "n": [1]}))


def test_unknown_strategy_lists_the_registered_ones() -> None:
    with pytest.raises(UnknownStrategyError, match=r"registered: .*random"):
        suggest(discrete_problem(), [], [], 1, 0, "simulated-annealing")


def test_batch_size_must_be_positive() -> None:
    with pytest.raises(PlannerError, match="at least 1"):
        suggest(discrete_problem(), [], [], 0, 0, "random")


def test_infeasible_region_is_reported() -> None:
    problem = Problem(
        space=SearchSpace(
            parameters=(
                FloatParameter(name="x", bounds=(0, 1)),
                FloatParameter(name="y", bounds=(0, 1)),
            ),
            constraints=(LinearConstraint.model_validate("x + y <= 1e-9"),),
        ),
        objectives=(Objective(name="f"),),
    )
    with pytest.raises(InfeasibleSpaceError, match="relax the constraints"):
        suggest(problem, [], [], 2, 0, "random")


def _table_problem(rows: int) -> Problem:
    space = SearchSpace(parameters=(FloatParameter(name="x", bounds=(0, rows - 1)),))
    table = pd.DataFrame({"x": [float(i) for i in range(rows)]})
    return Problem(
        space=space, objectives=(Objective(name="f"),), candidates=CandidateSet(space, table)
    )


@pytest.mark.parametrize("name", ["sobol", "lhs"])
def test_space_filling_strategies_stay_space_filling_on_a_table(name: str) -> None:
    problem = _table_problem(64)
    picks = [s.parameters["x"] for s in suggest(problem, [], [], 8, 3, name).suggestions]
    # 8 Sobol (or Latin hypercube) points put one point in each eighth of [0, 1], so no
    # gap between neighbouring picks (or the ends) spans more than two eighths of 63 rows
    edges = [0.0, *sorted(picks), 63.0]
    assert max(b - a for a, b in itertools.pairwise(edges)) <= 2 * 63 / 8 + 1


def test_sobol_continues_on_a_table_without_repeating_rows() -> None:
    problem = _table_problem(16)
    seen: list[Observation] = []
    for _ in range(4):
        batch = suggest(problem, seen, [], 4, 1, "sobol").suggestions
        seen += [Observation(s.parameters, {"f": 0.0}) for s in batch]
    assert sorted(o.parameters["x"] for o in seen) == [float(i) for i in range(16)]
    with pytest.raises(InfeasibleSpaceError, match="only 0 of 16 candidates are left"):
        suggest(problem, seen, [], 1, 1, "sobol")


def test_random_draws_table_rows_uniformly_not_by_nearest_point() -> None:
    problem = _table_problem(64)
    firsts = {suggest(problem, [], [], 1, seed, "random").suggestions[0].parameters["x"]
              for seed in range(200)}  # fmt: skip
    assert len(firsts) > 40  # uniform over 64 rows
