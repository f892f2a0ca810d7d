"""Exact GP posteriors over finite candidate sets, conditioned on batch picks.

Scoring every candidate of a large table needs the posterior mean and
variance of each, and a batch needs to know how choosing one design changes
the uncertainty about the others. :class:`CandidatePosterior` computes both
from one Cholesky factor of the training covariance, in chunks, and then
conditions on each pick as if its outcome were already observed at the
predicted mean ("kriging believer"): the mean stays, the variances of nearby
candidates shrink by exact rank-one updates. Pending experiments are
conditioned on the same way before the first pick.

Everything is in the standardized units of :class:`planner.surrogate.FittedGP`
and describes the latent function; add :attr:`noise` for a measurement.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from planner.surrogate import FittedGP

CHUNK = 4096
JITTER = 1e-8


class CandidatePosterior:
    """Posterior means and variances of candidates, and rank-one conditioning on picks."""

    def __init__(self, fit: FittedGP, candidates: Tensor, chunk: int = CHUNK) -> None:
        """Compute the posterior of every row of ``candidates`` (encoded designs)."""
        self._kernel: Any = getattr(fit.model, "covar_module")  # noqa: B009
        model: Any = fit.model
        self.noise = float(model.likelihood.noise.item())
        self._prior_mean = float(model.mean_module.constant.item())
        self._train_x = fit.train_x
        self._cholesky = _cholesky(self._cross(fit.train_x, fit.train_x), self.noise)
        residual = (fit.train_z - self._prior_mean).unsqueeze(-1)
        self._alpha = torch.cholesky_solve(residual, self._cholesky).squeeze(-1)
        self.candidates = candidates
        means, variances = [], []
        for part in candidates.split(chunk):
            mean, variance = self._marginals(part)
            means.append(mean)
            variances.append(variance)
        self.mean = torch.cat(means) if means else torch.empty(0, dtype=candidates.dtype)
        self.variance = torch.cat(variances) if variances else torch.empty_like(self.mean)
        self._tracked: Tensor | None = None
        self._updates = torch.empty(0)

    def predict(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior mean and variance of the latent function at ``x`` (before any pick)."""
        return self._marginals(x)

    def joint(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Joint posterior mean and covariance of the latent function at the rows of ``x``."""
        solved = self._solve(x)
        mean, _ = self._marginals(x, solved)
        return mean, self._cross(x, x) - solved.T @ solved

    def track(self, x: Tensor) -> None:
        """Follow the joint posterior of the points ``x`` (a shortlist plus pending designs).

        Resets earlier conditioning. After this, :meth:`condition` updates
        :attr:`tracked_variance`.
        """
        solved = self._solve(x)
        _, variance = self._marginals(x, solved)
        self._tracked = x
        self._tracked_solved = solved
        self.tracked_variance = variance
        self._updates = torch.empty(x.shape[0], 0, dtype=x.dtype)

    def condition(self, index: int) -> None:
        """Condition on a noisy observation at tracked point ``index`` (its outcome unknown).

        Raises:
            RuntimeError: :meth:`track` was not called.
        """
        if self._tracked is None:
            raise RuntimeError("call track() before condition()")
        x = self._tracked
        prior = self._cross(x, x[index : index + 1]).squeeze(-1)
        covariance = prior - self._tracked_solved.T @ self._tracked_solved[:, index]
        covariance = covariance - self._updates @ self._updates[index]
        scale = torch.sqrt(self.tracked_variance[index] + self.noise)
        update = covariance / scale
        self._updates = torch.cat([self._updates, update.unsqueeze(-1)], dim=-1)
        self.tracked_variance = (self.tracked_variance - update**2).clamp_min(1e-12)

    def _marginals(self, x: Tensor, solved: Tensor | None = None) -> tuple[Tensor, Tensor]:
        cross = self._cross(self._train_x, x)
        mean = self._prior_mean + cross.T @ self._alpha
        if solved is None:
            solved = torch.linalg.solve_triangular(self._cholesky, cross, upper=False)
        prior = self._kernel(x, diag=True)
        prior = prior.to_dense() if hasattr(prior, "to_dense") else prior
        variance = (prior - (solved**2).sum(0)).clamp_min(1e-12)
        return mean, variance

    def _solve(self, x: Tensor) -> Tensor:
        return torch.linalg.solve_triangular(
            self._cholesky, self._cross(self._train_x, x), upper=False
        )

    def _cross(self, a: Tensor, b: Tensor) -> Tensor:
        with torch.no_grad():
            return self._kernel(a, b).to_dense()


def _cholesky(covariance: Tensor, noise: float) -> Tensor:
    """Lower Cholesky factor of ``covariance + noise I``, adding jitter if needed."""
    eye = torch.eye(covariance.shape[0], dtype=covariance.dtype)
    jitter = 0.0
    for _ in range(6):
        factor, info = torch.linalg.cholesky_ex(covariance + (noise + jitter) * eye)
        if int(info) == 0:
            return factor
        jitter = JITTER if jitter == 0.0 else jitter * 10
    raise RuntimeError("the training covariance is not positive definite, even with jitter")
