"""Options of the outcome models, importable without torch (strategies are listed fast)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


@dataclass(frozen=True)
class SurrogateOptions:
    """How outcome models are built (see :func:`planner.surrogate.fit_gp`)."""

    prior: Prior = "dim-scaled"
    warp: bool = False
    molecules: MoleculeChoice = "declared"
