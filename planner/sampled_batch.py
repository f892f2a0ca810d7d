"""Batches by sampled joint expected improvement (greedy q-EI over a candidate set).

The default batch rule (``batch: believer``) scores each next pick by log EI
after conditioning on the earlier picks as if their outcomes were the
predicted means: the means stay, only the variances shrink. A candidate next
to the first pick keeps its high mean and so its high score, and a batch can
pile up around one design whose outcome the model already predicts well.

``batch: qei`` instead builds the batch greedily by the expected improvement
of the *batch*, ``E[max(f(x_1), ..., f(x_k)) - best]_+``, the sequential
greedy q-EI of BoTorch's ``optimize_acqf_discrete``. It is estimated from
joint posterior samples of a shortlist of candidates (and the pending
designs, whose sampled outcomes raise the bar like observed ones): a pick's
gain is the mean of ``max(0, f(x) - m)`` over samples, ``m`` the best of
``best`` and the earlier picks in that sample, so a candidate that is
correlated with an earlier pick adds little. The samples are drawn from the
campaign's seed (same inputs, same batch).

The gain of a candidate is never more than its own expected improvement
(``m >= best``), so candidates left off the shortlist (ranked by their own
EI) cannot beat a pick whose sampled gain is above their EI; when one
could, the shortlist grows and the batch is built again.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from planner.acquisition import log_expected_improvement
from planner.posterior import CandidatePosterior

SAMPLES = 512
"""Joint posterior samples the batch's expected improvement is estimated from."""
SHORTLIST_MIN = 256
SHORTLIST_PER_PICK = 32
JITTER = 1e-9


@torch.no_grad()
def sampled_ei_batch(
    posterior: CandidatePosterior,
    objective_mean: Tensor,
    best: float,
    sign: float,
    rows: Tensor,
    n: int,
    pending: Tensor,
    seed: int,
) -> list[int]:
    """Choose ``n`` of the candidate ``rows`` greedily by sampled batch expected improvement.

    Args:
        posterior: The objective's posterior over every candidate.
        objective_mean: Sign-adjusted (maximized) posterior mean of every candidate.
        best: The incumbent, sign-adjusted, in the posterior's units.
        sign: +1 to maximize, -1 to minimize (applied to the samples).
        rows: Candidate rows that may be chosen.
        n: Batch size.
        pending: Encoded pending designs (their sampled outcomes count as reached).
        seed: Seeds the posterior samples.

    Returns:
        Candidate row numbers in order of choice (fewer than ``n`` only if
        ``rows`` has fewer).
    """
    n = min(n, len(rows))
    if n == 0:
        return []
    own = log_expected_improvement(objective_mean[rows], posterior.variance[rows].sqrt(), best)
    order = rows[torch.argsort(own, descending=True, stable=True)]
    ranked = torch.sort(own, descending=True, stable=True).values.exp()
    size = min(len(rows), max(SHORTLIST_MIN, SHORTLIST_PER_PICK * n))
    while True:
        outside = float(ranked[size]) if size < len(rows) else -math.inf
        picks = _greedy(posterior, order[:size], best, sign, n, pending, seed, outside)
        if picks is not None:
            return picks
        size = min(len(rows), 4 * size)


def _greedy(
    posterior: CandidatePosterior,
    shortlist: Tensor,
    best: float,
    sign: float,
    n: int,
    pending: Tensor,
    seed: int,
    outside: float,
) -> list[int] | None:
    samples = joint_samples(posterior, torch.cat([posterior.candidates[shortlist], pending]), seed)
    samples = sign * samples
    reached = torch.full((samples.shape[0],), best, dtype=samples.dtype)
    if len(pending):
        reached = torch.maximum(reached, samples[:, len(shortlist) :].max(dim=1).values)
    candidates = samples[:, : len(shortlist)]
    taken = torch.zeros(len(shortlist), dtype=torch.bool)
    picks: list[int] = []
    for _ in range(n):
        gain = (candidates - reached.unsqueeze(-1)).clamp_min(0.0).mean(dim=0)
        gain = gain.masked_fill(taken, -math.inf)
        index = int(torch.argmax(gain))
        if float(gain[index]) < outside:
            return None
        picks.append(int(shortlist[index]))
        taken[index] = True
        reached = torch.maximum(reached, candidates[:, index])
    return picks


def joint_samples(posterior: CandidatePosterior, x: Tensor, seed: int) -> Tensor:
    """:data:`SAMPLES` draws of the latent function at the rows of ``x`` (samples × rows)."""
    mean, covariance = posterior.joint(x)
    covariance = 0.5 * (covariance + covariance.T)
    eye = torch.eye(len(mean), dtype=mean.dtype)
    scale = float(covariance.diagonal().mean().clamp_min(1e-12))
    jitter = JITTER * scale
    for _ in range(8):
        factor, info = torch.linalg.cholesky_ex(covariance + jitter * eye)
        if int(info) == 0:
            break
        jitter *= 10
    else:
        raise RuntimeError("the candidates' posterior covariance is not positive semi-definite")
    generator = torch.Generator().manual_seed(int(seed) % (2**63))
    normal = torch.randn(SAMPLES, len(mean), dtype=mean.dtype, generator=generator)
    return mean + normal @ factor.T
