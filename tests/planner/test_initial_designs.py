"""First batches by representative points (medoids), and the size-aware choice (auto)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import torch

from planner import (
    CandidateSet,
    CategoricalParameter,
    Objective,
    OrdinalParameter,
    PlannerError,
    Problem,
    SearchSpace,
    suggest,
)
from planner.initial import SMALL_CANDIDATE_SET, medoid_batch

LEVELS = tuple(float(v) for v in range(7))


def grid_problem(catalysts: int) -> Problem:
    """Catalysts × two numeric settings of 7 levels each (``catalysts`` × 49 candidates)."""
    space = SearchSpace(
        parameters=(
            CategoricalParameter(name="cat", choices=tuple(f"c{i}" for i in range(catalysts))),
            OrdinalParameter(name="t", levels=LEVELS),
            OrdinalParameter(name="x", levels=LEVELS),
        )
    )
    rows = [
        {"cat": c, "t": t, "x": x}
        for c, t, x in itertools.product(space.parameters[0].choices, LEVELS, LEVELS)
    ]
    return Problem(
        space=space,
        objectives=(Objective(name="y"),),
        candidates=CandidateSet(space, pd.DataFrame(rows)),
    )


def first_batch(problem: Problem, initial: str, seed: int, n: int = 3) -> list[dict]:
    proposal = suggest(problem, [], [], n, seed, "bo-candidates", {"initial": initial})
    return [dict(s.parameters) for s in proposal.suggestions]


def share_at_range_ends(batches: list[list[dict]]) -> float:
    values = [d[k] for batch in batches for d in batch for k in ("t", "x")]
    return float(np.mean([v in (LEVELS[0], LEVELS[-1]) for v in values]))


def test_medoids_keep_numeric_settings_off_the_range_ends_and_cover_the_levels() -> None:
    problem = grid_problem(3)  # 147 candidates
    medoids = [first_batch(problem, "medoids", seed) for seed in range(8)]
    maximin = [first_batch(problem, "maximin", seed) for seed in range(8)]
    assert share_at_range_ends(maximin) > 0.6  # maximin goes to the corners
    assert share_at_range_ends(medoids) < 0.3  # 2 of 7 levels are ends: 29 % at random
    assert all(len({d["cat"] for d in batch}) == 3 for batch in medoids)


def test_auto_uses_medoids_on_small_sets_and_maximin_on_large_ones() -> None:
    small, large = grid_problem(3), grid_problem(4)
    assert len(small.candidates) <= SMALL_CANDIDATE_SET < len(large.candidates)
    for seed in (0, 1):
        assert first_batch(small, "auto", seed) == first_batch(small, "medoids", seed)
        assert first_batch(large, "auto", seed) == first_batch(large, "maximin", seed)


def test_medoid_batch_picks_the_centre_of_a_line_first() -> None:
    line = torch.linspace(0.0, 1.0, 11, dtype=torch.float64).unsqueeze(-1)
    demand = np.arange(11)
    picks = medoid_batch(line, demand, np.ones(11), list(range(11)), line[:0], 2)
    assert picks[0] == 5
    assert picks[1] in (1, 2, 3, 7, 8, 9)  # then inside one half, not at an end


def test_medoid_batch_stays_away_from_placed_designs() -> None:
    line = torch.linspace(0.0, 1.0, 11, dtype=torch.float64).unsqueeze(-1)
    picks = medoid_batch(line, np.arange(11), np.ones(11), list(range(11)), line[5:6], 2)
    low, high = sorted(picks)
    assert 0 < low < 5 < high < 10  # one inside each half


def test_an_unknown_initial_design_is_refused() -> None:
    with pytest.raises(
        PlannerError, match=r"initial must be one of .*medoids, auto, got 'corners'"
    ):
        suggest(grid_problem(2), [], [], 2, 0, "bo-candidates", {"initial": "corners"})
