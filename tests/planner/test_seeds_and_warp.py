"""Seed independence of first batches, and the rank warp's units."""

from __future__ import annotations

import numpy as np
import pytest

from planner import suggest
from planner.warp import RankWarp
from tests.planner.test_candidate_bo import table_problem


@pytest.mark.parametrize("initial", ["maximin", "balanced", "random", "medoids", "auto"])
def test_first_batches_differ_across_seeds(initial: str) -> None:
    problem = table_problem()
    batches = {
        tuple(
            sorted(
                tuple(map(str, s.parameters.values()))
                for s in suggest(
                    problem, [], [], 4, seed, "bo-candidates", {"initial": initial}
                ).suggestions
            )
        )
        for seed in range(6)
    }
    assert len(batches) >= 5


def test_rank_warp_maps_ties_together_and_inverts() -> None:
    y = np.array([0.0, 0.0, 0.0, 10.0, 50.0, 90.0])
    warp = RankWarp.fit(y)
    z = warp.forward(y)
    assert z[0] == z[1] == z[2] < z[3] < z[4] < z[5]
    assert abs(float(np.mean(np.unique(z)[1:]))) < 2.0
    np.testing.assert_allclose(warp.inverse(z), y)
    beyond = warp.forward(np.array([-5.0, 100.0]))
    assert beyond[0] < z[0] and beyond[1] > z[-1]


def test_rank_warp_needs_two_values() -> None:
    with pytest.raises(ValueError, match="two distinct"):
        RankWarp.fit(np.array([3.0, 3.0]))
