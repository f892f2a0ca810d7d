"""Latency paths: cached candidate keys and warm-started GP hyperparameters (no timings)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from planner import Observation, PlannerError
from planner.catalog import get_strategy
from planner.encoding import Encoder
from planner.surrogate import fit_gp
from planner.warm_hyperparameters import WarmStart
from tests.planner.test_candidate_bo import response, table_problem


def test_available_skips_used_rows_and_ignores_designs_that_are_not_candidates() -> None:
    candidates = table_problem().candidates
    assert candidates is not None
    rows = candidates.rows()
    outside = {**rows[0], "a": "not-a-level"}
    used = [rows[3], rows[0], rows[3], outside]
    free = candidates.available(used)
    assert free == [i for i in range(len(rows)) if i not in (0, 3)]
    assert candidates.available([]) == list(range(len(rows)))


def observations(count: int) -> list[Observation]:
    problem = table_problem()
    assert problem.candidates is not None
    rows = problem.candidates.rows()
    chosen = np.random.default_rng(1).choice(len(rows), size=count, replace=False)
    return [Observation(rows[i], {"y": response(rows[i])}) for i in chosen]


@pytest.mark.slow
def test_a_persisting_strategy_starts_its_next_fit_from_the_last_one() -> None:
    problem = table_problem()
    seen = observations(15)
    strategy = get_strategy("bo-candidates", {"prior": "block"})
    assert strategy.warm is not None and not strategy.warm.states  # type: ignore[attr-defined]
    strategy.suggest(problem, seen[:10], [], 3, 0)
    states = strategy.warm.states  # type: ignore[attr-defined]
    assert len(states) == 1
    first = {k: v.clone() for k, v in next(iter(states.values())).items()}
    again = strategy.suggest(problem, seen, [], 3, 0)
    second = next(iter(states.values()))
    assert any(not torch.equal(first[k], second[k]) for k in first)  # refitted, then kept
    # a fresh object fits cold: its proposals depend on the inputs alone
    cold = [
        get_strategy("bo-candidates", {"prior": "block"}).suggest(problem, seen, [], 3, 0)
        for _ in range(2)
    ]
    assert [s.parameters for s in cold[0].suggestions] == [
        s.parameters for s in cold[1].suggestions
    ]
    assert len(again.suggestions) == 3
    off = get_strategy("bo-candidates", {"warm_start": False})
    off.suggest(problem, seen, [], 3, 0)
    assert off.warm is None  # type: ignore[attr-defined]


@pytest.mark.slow
def test_warm_start_loads_matching_parameters_only() -> None:
    problem = table_problem()
    encoder = Encoder(problem.space)
    seen = observations(12)
    x = encoder.encode([o.parameters for o in seen])
    y = np.array([o.values["y"] for o in seen])
    warm = WarmStart()
    fitted = fit_gp(x, y, encoder.blocks, 0, warm=warm, warm_key="y")
    assert len(warm.states) == 1
    stored = next(iter(warm.states.values()))
    fitted_values = dict(fitted.model.named_parameters())
    assert all(torch.equal(stored[k], fitted_values[k].detach()) for k in stored)
    # only parameters of the same name and shape are copied
    other = fit_gp(x, y, encoder.blocks, 0, prior="dim-scaled")  # other parameters
    before = {k: v.detach().clone() for k, v in other.model.named_parameters()}
    key = next(iter(warm.states))
    changed = warm.load(key, other.model)
    after = dict(other.model.named_parameters())
    for name, value in before.items():
        same_shape = name in stored and stored[name].shape == value.shape
        assert torch.equal(after[name].detach(), stored[name] if same_shape else value)
    assert changed == any(
        name in stored and stored[name].shape == v.shape for name, v in before.items()
    )
    assert not WarmStart().load("missing", other.model)


def test_bad_warm_start_option_is_one_clear_error() -> None:
    try:
        get_strategy("bo-candidates", {"warm_start": True, "warmstart": 1})
    except PlannerError as exc:
        assert "no option(s) warmstart" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("an unknown option was accepted")
