"""Gaussian-process surrogates fitted to encoded designs (BoTorch ``SingleTaskGP``).

Outcomes are standardized before fitting, per task when observations come
from several campaigns (so a related campaign with another yield scale still
informs the shape of the response). Fitting maximizes the marginal likelihood
under the priors, within a bounded number of L-BFGS iterations, in a forked
torch RNG so that no global random state is touched.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import Tensor

from planner.encoding import Block
from planner.errors import PlannerError
from planner.kernels import block_kernel

FIT_MAX_ITERATIONS = 200
MIN_TASK_OBSERVATIONS = 3
"""A task is standardized on its own data once it has this many observations."""

DTYPE = torch.float64


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

    def to_units(self, mean: Tensor, sd: Tensor) -> tuple[Tensor, Tensor]:
        """Convert standardized means and sds of the current campaign to its units."""
        scaling = self.standardization
        return scaling.target_offset + scaling.target_scale * mean, scaling.target_scale * sd

    def from_units(self, value: float) -> float:
        """Convert a value in the campaign's units to standardized units."""
        scaling = self.standardization
        return (value - scaling.target_offset) / scaling.target_scale


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
) -> FittedGP:
    """Fit a GP to features ``x`` (rows) and outcomes ``y``.

    Args:
        x: Encoded designs, one row per observation.
        y: Observed values (finite).
        blocks: The encoder's column blocks, which choose the kernel.
        seed: Seeds the restarts the fitting routine may draw from the priors.
        task: Task number of each row (0 = current campaign); all 0 by default.
        n_tasks: Number of tasks.

    Raises:
        PlannerError: Too few or constant observations.
    """
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    task = np.zeros(len(y), dtype=np.intp) if task is None else task
    scaling = standardize(y, task, n_tasks)
    train_x = torch.as_tensor(x, dtype=DTYPE)
    train_z = torch.as_tensor(scaling.to_z(y, task), dtype=DTYPE).unsqueeze(-1)
    model = SingleTaskGP(
        train_x, train_z, covar_module=block_kernel(blocks), outcome_transform=None
    )
    mll = ExactMarginalLogLikelihood(model.likelihood, model)
    with torch.random.fork_rng(), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.simplefilter("ignore")
        fit_gpytorch_mll(mll, optimizer_kwargs={"options": {"maxiter": FIT_MAX_ITERATIONS}})
    model.eval()
    return FittedGP(model, train_x, train_z.squeeze(-1), torch.as_tensor(task), scaling)
