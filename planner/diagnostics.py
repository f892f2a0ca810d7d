"""How well a surrogate fits: cross-validated R², RMSE and 95 % interval coverage."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike

from planner.surrogate import FittedGP


def fit_quality(y: ArrayLike, mu: ArrayLike, sd: ArrayLike) -> dict[str, float | None]:
    """Return R², RMSE and the fraction of ``y`` inside ``mu ± 1.96 sd``.

    R² is ``None`` when ``y`` is constant (it is undefined).
    """
    y_a, mu_a, sd_a = np.asarray(y, float), np.asarray(mu, float), np.asarray(sd, float)
    residual = y_a - mu_a
    total = float(np.sum((y_a - y_a.mean()) ** 2))
    return {
        "r2": float(1.0 - np.sum(residual**2) / total) if total > 0 else None,
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "coverage_95": float(np.mean(np.abs(residual) <= 1.96 * sd_a)),
        "n": float(len(y_a)),
    }


def leave_one_out(fit: FittedGP) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-out predictive means and sds of the current campaign's observations.

    Uses the closed form for exact GPs (Rasmussen & Williams, eq. 5.12) with
    the hyperparameters fitted to all data: for ``K = k(X, X) + noise I``,
    ``mean_i = y_i - [K⁻¹ y]_i / [K⁻¹]_ii`` and ``var_i = 1 / [K⁻¹]_ii``, the
    variance of a new measurement at ``x_i``. Values are in the campaign's units.

    Returns:
        Means and standard deviations, one per observation of task 0, in order.
    """
    mean_z, sd_z = _loo_standardized(fit)
    target = fit.train_task == 0
    mean, sd = fit.to_units(mean_z[target], sd_z[target])
    return mean.numpy(), sd.numpy()


def loo_log_density(fit: FittedGP) -> float:
    """Mean leave-one-out log predictive density of the current campaign's observations.

    In the model's standardized (warped) units, so models of the same outcome
    that differ only in their features or kernel are compared on the same
    numbers: the higher, the better the model predicts each observation from
    the others (the closed form of :func:`leave_one_out`).
    """
    mean_z, sd_z = _loo_standardized(fit)
    target = fit.train_task == 0
    z, mean, sd = fit.train_z[target], mean_z[target], sd_z[target]
    density = -0.5 * ((z - mean) / sd) ** 2 - torch.log(sd) - 0.5 * math.log(2 * math.pi)
    return float(density.mean())


def _loo_standardized(fit: FittedGP) -> tuple[torch.Tensor, torch.Tensor]:
    """Leave-one-out means and sds of every training row, in standardized units."""
    model: Any = fit.model
    with torch.no_grad():
        covariance = model.covar_module(fit.train_x).to_dense()
        noise = float(model.likelihood.noise.item())
        eye = torch.eye(covariance.shape[0], dtype=covariance.dtype)
        factor = torch.linalg.cholesky(covariance + noise * eye)
        precision = torch.cholesky_inverse(factor)
        residual = fit.train_z - float(model.mean_module.constant.item())
        alpha = precision @ residual
        diagonal = torch.diagonal(precision)
        mean_z = fit.train_z - alpha / diagonal
        sd_z = diagonal.rsqrt()
    return mean_z, sd_z


def cross_validation(fit: FittedGP, observed: np.ndarray) -> dict[str, float | None]:
    """Leave-one-out :func:`fit_quality` of one outcome's model.

    Args:
        fit: The model.
        observed: The current campaign's observed values, in training order.
    """
    mean, sd = leave_one_out(fit)
    quality = fit_quality(observed, mean, sd)
    return {k: (None if v is None or not math.isfinite(v) else v) for k, v in quality.items()}
