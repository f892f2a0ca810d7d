"""Options of the outcome models, importable without torch (strategies are listed fast)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Prior = Literal["block", "dim-scaled"]
"""Kernel priors: per block in units of its diameter, or BoTorch's dimension-scaled one."""


@dataclass(frozen=True)
class SurrogateOptions:
    """How outcome models are built (see :func:`planner.surrogate.fit_gp`)."""

    prior: Prior = "dim-scaled"
    warp: bool = False
