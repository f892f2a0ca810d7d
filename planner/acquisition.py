"""Scoring candidates: log expected improvement, probabilities of feasibility, batches.

All functions take posterior means and standard deviations in standardized
units, for every candidate at once (the candidate set is finite), and work in
log space so that tiny improvements still rank correctly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from planner.posterior import CandidatePosterior

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_SQRT_HALF_PI = math.sqrt(math.pi / 2)
_ASYMPTOTIC_Z = -1e4

Chooser = Callable[[list[int], int, Tensor], list[int]]
"""Chooses ``n`` of the given candidate rows, given the encoded pending designs."""

SHORTLIST_MIN = 1024
SHORTLIST_PER_PICK = 32


def log_h(z: Tensor) -> Tensor:
    """``log(phi(z) + z Phi(z))``, accurate from large positive to very negative ``z``.

    For ``z <= -1`` it uses ``phi(z) (1 + z sqrt(pi/2) erfcx(-z / sqrt 2))``
    (Mills' ratio) to avoid cancellation; below ``-1e4`` the asymptote
    ``log phi(z) - 2 log(-z)``.
    """
    upper = z > -1
    z_up = torch.where(upper, z, torch.zeros_like(z))
    phi = torch.exp(-0.5 * z_up**2 - _LOG_SQRT_2PI)
    value_up = torch.log(phi + z_up * torch.special.ndtr(z_up))
    z_low = torch.where(upper, -torch.ones_like(z), z).clamp_min(_ASYMPTOTIC_Z)
    ratio = _SQRT_HALF_PI * torch.special.erfcx(-z_low / math.sqrt(2))
    value_low = -0.5 * z_low**2 - _LOG_SQRT_2PI + torch.log1p(z_low * ratio)
    value_far = -0.5 * z**2 - _LOG_SQRT_2PI - 2 * torch.log(-z.clamp_max(-1.0))
    return torch.where(upper, value_up, torch.where(z > _ASYMPTOTIC_Z, value_low, value_far))


def log_expected_improvement(mean: Tensor, sd: Tensor, best: float) -> Tensor:
    """``log E[max(f - best, 0)]`` for ``f ~ N(mean, sd²)``."""
    sd = sd.clamp_min(1e-12)
    return torch.log(sd) + log_h((mean - best) / sd)


def log_probability_above(mean: Tensor, sd: Tensor, bound: float) -> Tensor:
    """``log P(f >= bound)`` for ``f ~ N(mean, sd²)``."""
    return torch.special.log_ndtr((mean - bound) / sd.clamp_min(1e-12))


@dataclass(frozen=True)
class Scorer:
    """Scores candidates by log EI of the objective plus log-probabilities of feasibility.

    ``objective_mean`` is the (sign-adjusted, maximized) objective posterior mean
    of every candidate; ``log_feasible`` the summed log-probabilities that each
    candidate meets the outcome constraints (zeros when there are none). With no
    feasible observation yet (``best`` is ``None``) only feasibility counts.
    """

    objective_mean: Tensor
    log_feasible: Tensor
    best: float | None

    def __call__(self, rows: Tensor, sd: Tensor) -> Tensor:
        """Scores of candidates ``rows`` whose objective posterior sd is now ``sd``."""
        if self.best is None:
            return self.log_feasible[rows]
        improvement = log_expected_improvement(self.objective_mean[rows], sd, self.best)
        return improvement + self.log_feasible[rows]


@torch.no_grad()
def greedy_batch(
    posterior: CandidatePosterior,
    scorer: Callable[[Tensor, Tensor], Tensor],
    rows: Tensor,
    n: int,
    pending: Tensor | None = None,
) -> list[int]:
    """Choose ``n`` of the candidate ``rows`` one at a time, conditioning on each pick.

    Pending designs (encoded, ``pending``) are conditioned on first. Only a
    shortlist of the best-scoring candidates is followed jointly; since
    conditioning never raises a score, a pick whose score still beats every
    candidate left off the shortlist is exactly the greedy choice. When it is
    not, the shortlist grows and selection restarts.

    Returns:
        Candidate row numbers, in order of choice (fewer than ``n`` only if
        ``rows`` has fewer).
    """
    n = min(n, len(rows))
    initial = scorer(rows, posterior.variance[rows].sqrt())
    order = rows[torch.argsort(initial, descending=True, stable=True)]
    ranked = torch.sort(initial, descending=True, stable=True).values
    size = min(len(rows), max(SHORTLIST_MIN, SHORTLIST_PER_PICK * n))
    while True:
        picks = _pick_from_shortlist(posterior, scorer, order[:size], n, pending, ranked, size)
        if picks is not None:
            return picks
        size = min(len(rows), 4 * size)


def _pick_from_shortlist(
    posterior: CandidatePosterior,
    scorer: Callable[[Tensor, Tensor], Tensor],
    shortlist: Tensor,
    n: int,
    pending: Tensor | None,
    ranked: Tensor,
    size: int,
) -> list[int] | None:
    outside = float(ranked[size]) if size < len(ranked) else -math.inf
    extra = pending if pending is not None else posterior.candidates[:0]
    posterior.track(torch.cat([posterior.candidates[shortlist], extra]))
    for index in range(len(shortlist), len(shortlist) + len(extra)):
        posterior.condition(index)
    taken = torch.zeros(len(shortlist), dtype=torch.bool)
    picks: list[int] = []
    for _ in range(n):
        sd = posterior.tracked_variance[: len(shortlist)].sqrt()
        scores = scorer(shortlist, sd).masked_fill(taken, -math.inf)
        best = int(torch.argmax(scores))
        if float(scores[best]) < outside:
            return None
        picks.append(int(shortlist[best]))
        taken[best] = True
        posterior.condition(best)
    return picks


def maximin_batch(
    features: Tensor, rows: Sequence[int], placed: Tensor, n: int, start: int
) -> list[int]:
    """Space-filling choice of ``n`` rows: each the farthest from everything placed.

    Args:
        features: Feature rows of all candidates (blocks scaled to comparable spread).
        rows: Row numbers that may be chosen.
        placed: Feature rows already in the design (observed or pending).
        n: How many to choose.
        start: Position in ``rows`` of the first choice when nothing is placed yet.
    """
    pool = features[list(rows)]
    nearest = torch.full((len(rows),), math.inf, dtype=features.dtype)
    if len(placed):
        nearest = torch.cdist(pool, placed).min(dim=1).values
    chosen: list[int] = []
    for _ in range(min(n, len(rows))):
        index = start if not chosen and not len(placed) else int(torch.argmax(nearest))
        chosen.append(index)
        distance = torch.cdist(pool, pool[index : index + 1]).squeeze(-1)
        nearest = torch.minimum(nearest, distance)
        nearest[index] = -math.inf
    return [rows[i] for i in chosen]
