"""Gaussian-process surrogates fitted to encoded designs (BoTorch ``SingleTaskGP``).

Outcomes are warped (a rank / Gaussian-copula transform, :mod:`planner.warp`,
when every observation comes from the current campaign) and standardized
before fitting, per task when observations come from several campaigns (so a
related campaign with another yield scale still informs the shape of the
response). The noise prior admits real assay noise (a few per cent of the
outcome's variance and more), so the fit smooths rather than interpolates.
Fitting maximizes the marginal likelihood under the priors, within a bounded
number of L-BFGS iterations, in a forked torch RNG so that no global random state is touched.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from planner.encoding import Block
from planner.errors import PlannerError
from planner.kernels import Prior, block_kernel
from planner.model_options import KernelFamily
from planner.warm_hyperparameters import WarmStart
from planner.warp import RankWarp

FIT_MAX_ITERATIONS = 200
MIN_TASK_OBSERVATIONS = 3
"""A task is standardized on its own data once it has this many observations."""

DTYPE = torch.float64

NOISE_PRIOR = (1.5, 10.0)
"""Gamma prior of the noise variance in standardized units: mode 0.05, mean 0.15."""
MIN_NOISE = 1e-4


@dataclass(frozen=True)
class Standardization:
    """``y = offset + scale * z`` per task (task 0 is the current campaign)."""

    offsets: tuple[float, ...]
    scales: tuple[float, ...]

    def to_z(
        self, y: npt.NDArray[np.float64], task: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float64]:
        """Standardized values of ``y`` observed in tasks ``task``."""
        return (y - np.asarray(self.offsets)[task]) / np.asarray(self.scales)[task]

    @property
    def target_offset(self) -> float:
        """Offset of the current campaign."""
        return self.offsets[0]

    @property
    def target_scale(self) -> float:
        """Scale of the current campaign."""
        return self.scales[0]


@dataclass(frozen=True)
class FittedGP:
    """A fitted exact GP on standardized outcomes, with what is needed to predict."""

    model: Any
    """The BoTorch ``SingleTaskGP``, in eval mode."""
    train_x: Tensor
    train_z: Tensor
    train_task: Tensor
    standardization: Standardization
    warp: RankWarp | None = None
    """The outcome warp applied before standardizing (``None``: values used as they are)."""

    def to_units(self, mean: Tensor, sd: Tensor) -> tuple[Tensor, Tensor]:
        """Convert standardized means and sds of the current campaign to its units.

        Through a warp, the mean maps to the warped median and the sd to half
        the width of the mapped ``mean ± sd`` interval.
        """
        scaling = self.standardization
        offset, scale = scaling.target_offset, scaling.target_scale
        if self.warp is None:
            return offset + scale * mean, scale * sd
        low, mid, high = (
            torch.as_tensor(self.warp.inverse((offset + scale * z).detach().numpy()))
            for z in (mean - sd, mean, mean + sd)
        )
        return mid.to(mean), ((high - low) / 2).to(mean)

    def from_units(self, value: float) -> float:
        """Convert a value in the campaign's units to standardized units."""
        scaling = self.standardization
        warped = value if self.warp is None else float(self.warp.forward(np.array(value)))
        return (warped - scaling.target_offset) / scaling.target_scale


def standardize(
    y: npt.NDArray[np.float64], task: npt.NDArray[np.intp], n_tasks: int
) -> Standardization:
    """Per-task offsets and scales; tasks with few observations use the pooled ones.

    Raises:
        PlannerError: Fewer than two observations, or all of them equal.
    """
    if len(y) < 2 or float(np.ptp(y)) == 0.0:
        raise PlannerError("a model needs at least two observations with different values")
    pooled = (float(np.mean(y)), float(np.std(y)))
    offsets, scales = [], []
    for t in range(n_tasks):
        values = y[task == t]
        spread = float(np.std(values)) if len(values) else 0.0
        own = len(values) >= MIN_TASK_OBSERVATIONS and spread > 1e-9 * max(1.0, abs(pooled[1]))
        offsets.append(float(np.mean(values)) if own else pooled[0])
        scales.append(spread if own else pooled[1])
    return Standardization(tuple(offsets), tuple(scales))


def fit_gp(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    blocks: Sequence[Block],
    seed: int,
    task: npt.NDArray[np.intp] | None = None,
    n_tasks: int = 1,
    prior: Prior = "block",
    warp: bool = True,
    warm: WarmStart | None = None,
    warm_key: Hashable = None,
    kernel: KernelFamily = "rbf",
) -> FittedGP:
    """Fit a GP to features ``x`` (rows) and outcomes ``y``.

    Args:
        x: Encoded designs, one row per observation.
        y: Observed values (finite).
        blocks: The encoder's column blocks, which choose the kernel.
        seed: Seeds the restarts the fitting routine may draw from the priors.
        task: Task number of each row (0 = current campaign); all 0 by default.
        n_tasks: Number of tasks.
        prior: Kernel priors (see :func:`planner.kernels.block_kernel`); with
            ``"block"`` the noise has :data:`NOISE_PRIOR` too.
        warp: Rank-warp the outcome first (only when every row is of task 0).
        warm: Hyperparameters of an earlier fit to start from (stored under
            ``warm_key``), updated with this fit's.
        warm_key: Which stored fit matches this one (outcome and feature layout).
        kernel: Each block's kernel with the block prior (``"rbf"`` or ``"matern52"``).

    Raises:
        PlannerError: Too few or constant observations.
    """
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    task = np.zeros(len(y), dtype=np.intp) if task is None else task
    outcome_warp = _warp(y, task) if warp else None
    warped = y if outcome_warp is None else outcome_warp.forward(y)
    scaling = standardize(warped, task, n_tasks)
    train_x = torch.as_tensor(x, dtype=DTYPE)
    train_z = torch.as_tensor(scaling.to_z(warped, task), dtype=DTYPE).unsqueeze(-1)
    model = SingleTaskGP(
        train_x,
        train_z,
        covar_module=block_kernel(blocks, prior, kernel),
        likelihood=_likelihood() if prior == "block" else None,
        outcome_transform=None,
    )
    key = (warm_key, prior, kernel, x.shape[1], n_tasks)
    if warm is not None:
        warm.load(key, model)
    mll = ExactMarginalLogLikelihood(model.likelihood, model)
    with torch.random.fork_rng(), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(mll, optimizer_kwargs={"options": {"maxiter": FIT_MAX_ITERATIONS}})
    model.eval()
    if warm is not None:
        warm.save(key, model)
    return FittedGP(
        model, train_x, train_z.squeeze(-1), torch.as_tensor(task), scaling, outcome_warp
    )


def _warp(y: npt.NDArray[np.float64], task: npt.NDArray[np.intp]) -> RankWarp | None:
    if bool(np.any(task != 0)) or len(np.unique(y)) < 2:
        return None
    return RankWarp.fit(y)


def _likelihood() -> Any:
    from gpytorch.constraints import GreaterThan
    from gpytorch.likelihoods import GaussianLikelihood
    from gpytorch.priors import GammaPrior

    concentration, rate = NOISE_PRIOR
    likelihood = GaussianLikelihood(
        noise_prior=GammaPrior(concentration, rate), noise_constraint=GreaterThan(MIN_NOISE)
    )
    likelihood.noise = (concentration - 1.0) / rate
    return likelihood
