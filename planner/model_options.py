"""Options of the outcome models, importable without torch (strategies are listed fast)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Prior = Literal["block", "dim-scaled"]
"""Kernel priors: per block in units of its diameter, or BoTorch's dimension-scaled one."""


MoleculeChoice = Literal["declared", "onehot", "descriptors", "morgan", "combined", "auto"]
"""How the outcome models encode molecule parameters: as each parameter declares, one
encoding for all of them, or ``auto`` (chosen per campaign by leave-one-out likelihood,
:mod:`planner.encoding_choice`)."""
MOLECULE_CHOICES: tuple[MoleculeChoice, ...] = (
    "declared",
    "onehot",
    "descriptors",
    "morgan",
    "combined",
    "auto",
)


Initial = Literal["balanced", "maximin", "random", "medoids", "auto"]
"""How the first batch (before any model) is spread (see :mod:`planner.initial`)."""
INITIAL_CHOICES: tuple[Initial, ...] = ("balanced", "maximin", "random", "medoids", "auto")


KernelFamily = Literal["rbf", "matern52"]
"""The stationary kernel of every dense feature block: squared exponential or Matérn-5/2."""
KERNEL_CHOICES: tuple[KernelFamily, ...] = ("rbf", "matern52")


BatchRule = Literal["believer", "qei"]
"""How a model batch is built after its first pick (see :mod:`planner.sampled_batch`)."""
BATCH_CHOICES: tuple[BatchRule, ...] = ("believer", "qei")


@dataclass(frozen=True)
class SurrogateOptions:
    """How outcome models are built (see :func:`planner.surrogate.fit_gp`)."""

    prior: Prior = "dim-scaled"
    warp: bool = False
    molecules: MoleculeChoice = "declared"
    kernel: KernelFamily = "rbf"
    """The kernel of each dense block (same lengthscale prior in units of its diameter)."""


DEFAULT_OPTIONS = SurrogateOptions("block", True, "declared", "matern52")
"""What the candidate-set strategy (``bo-candidates``, ``bo`` on tables) fits by default."""


@runtime_checkable
class FitsSurrogate(Protocol):
    """A strategy whose proposals come from GP surrogates built as its options say."""

    @property
    def surrogate_options(self) -> SurrogateOptions:
        """How its outcome models are built."""
        ...


def model_seed(seed: int, n_observations: int) -> int:
    """The seed of the models fitted for a proposal after ``n_observations`` (all of them).

    The campaign's seed and the number of observations so far, so that every
    cycle draws afresh and anything refitting a cycle's models (the model
    report) fits the same ones.
    """
    return int(np.random.SeedSequence([seed, n_observations]).generate_state(1)[0])
