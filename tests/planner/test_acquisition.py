"""Log expected improvement, feasibility, greedy batches and space-filling designs."""

import math

import pytest
import torch
from scipy.stats import norm

from planner import acquisition
from planner.acquisition import (
    Scorer,
    greedy_batch,
    log_expected_improvement,
    log_h,
    log_probability_above,
    maximin_batch,
)
from tests.planner.test_kernels_and_posterior import fitted


def test_log_h_matches_the_closed_form_and_stays_finite() -> None:
    z = torch.tensor([-30.0, -5.0, -1.0, -0.5, 0.0, 2.0, 8.0], dtype=torch.float64)
    exact = [math.log(norm.pdf(v) + v * norm.cdf(v)) for v in z.tolist()]
    assert torch.allclose(log_h(z), torch.tensor(exact, dtype=torch.float64), rtol=1e-9)
    far = log_h(torch.tensor([-1e3, -1e5, -1e8], dtype=torch.float64))
    assert torch.isfinite(far).all() and (far.diff() < 0).all()


def test_log_ei_and_probability() -> None:
    mean = torch.tensor([1.0, 0.0], dtype=torch.float64)
    sd = torch.tensor([2.0, 0.5], dtype=torch.float64)
    ei = log_expected_improvement(mean, sd, best=0.5).exp()
    z = (mean - 0.5) / sd
    expected = sd * (torch.tensor(norm.pdf(z)) + z * torch.tensor(norm.cdf(z)))
    assert torch.allclose(ei, expected)
    p = log_probability_above(mean, sd, bound=0.0).exp()
    assert torch.allclose(p, torch.tensor(norm.cdf(mean / sd), dtype=torch.float64))


def brute_force_greedy(posterior, scorer, rows, n):
    posterior.track(posterior.candidates[rows])
    picks, taken = [], set()
    for _ in range(n):
        scores = scorer(torch.tensor(rows), posterior.tracked_variance.sqrt())
        order = [i for i in torch.argsort(scores, descending=True).tolist() if i not in taken]
        picks.append(rows[order[0]])
        taken.add(order[0])
        posterior.condition(order[0])
    return picks


def test_greedy_batch_with_a_short_shortlist_equals_full_greedy(monkeypatch) -> None:
    from planner.posterior import CandidatePosterior

    _, fit, _ = fitted("onehot")
    grid = fit.train_x[:1].repeat(40, 1)
    grid[:, 4] = torch.linspace(0, 1, 40, dtype=torch.float64)  # the temperature column
    posterior = CandidatePosterior(fit, grid)
    zeros = torch.zeros(40, dtype=torch.float64)
    scorer = Scorer(posterior.mean, zeros, best=float(posterior.mean.max()))
    rows = list(range(40))
    expected = brute_force_greedy(posterior, scorer, rows, 5)
    monkeypatch.setattr(acquisition, "SHORTLIST_MIN", 2)
    monkeypatch.setattr(acquisition, "SHORTLIST_PER_PICK", 1)
    assert greedy_batch(posterior, scorer, torch.tensor(rows), 5) == expected
    assert len(set(expected)) == 5


def test_pending_designs_discourage_their_neighbourhood() -> None:
    from planner.posterior import CandidatePosterior

    _, fit, _ = fitted("onehot")
    grid = fit.train_x[:1].repeat(21, 1)
    grid[:, 4] = torch.linspace(0, 1, 21, dtype=torch.float64)
    posterior = CandidatePosterior(fit, grid)
    flat = torch.zeros(21, dtype=torch.float64)
    scorer = Scorer(flat, flat, best=0.0)  # a flat mean: the most uncertain design wins
    alone = greedy_batch(posterior, scorer, torch.arange(21), 1)
    assert alone == [int(posterior.variance.argmax())]
    nearby = greedy_batch(posterior, scorer, torch.arange(21), 1, pending=grid[alone])
    assert nearby != alone


def test_feasibility_only_scoring_when_nothing_is_feasible_yet() -> None:
    mean = torch.tensor([3.0, 0.0], dtype=torch.float64)
    scorer = Scorer(mean, torch.tensor([-5.0, -0.1], dtype=torch.float64), best=None)
    scores = scorer(torch.tensor([0, 1]), torch.ones(2, dtype=torch.float64))
    assert scores[1] > scores[0]


def test_maximin_spreads_and_avoids_placed_points() -> None:
    features = torch.tensor([[0.0], [0.1], [0.5], [0.9], [1.0]], dtype=torch.float64)
    assert sorted(maximin_batch(features, [0, 1, 2, 3, 4], torch.empty(0, 1), 3, start=0)) == [
        0,
        2,
        4,
    ]
    placed = torch.tensor([[0.0], [1.0]], dtype=torch.float64)
    assert maximin_batch(features, [1, 2, 3], placed, 1, start=0) == [2]


@pytest.mark.parametrize("n", [1, 3])
def test_greedy_batch_never_repeats(n: int) -> None:
    from planner.posterior import CandidatePosterior

    _, fit, candidates = fitted("onehot")
    posterior = CandidatePosterior(fit, candidates)
    scorer = Scorer(posterior.mean, torch.zeros(6, dtype=torch.float64), best=0.0)
    picks = greedy_batch(posterior, scorer, torch.tensor([0, 2, 3, 5]), n)
    assert len(set(picks)) == n and set(picks) <= {0, 2, 3, 5}
