"""Outcome warps: monotone maps that make bounded, zero-inflated outcomes look Gaussian.

Most rows of a reaction screen yield nearly nothing and a few yield a lot; a
GP on raw yields spends its variance explaining the zeros. The rank (Gaussian
copula) warp replaces each observed value by the normal quantile of its
mid-rank, ``Phi^-1((rank - 1/2) / n)`` (ties share their mean rank, so every
"0 %" maps to one value), and interpolates linearly between observed values.
Outside the observed range it continues with the mean slope, so bounds and
predictions beyond the data stay finite and ordered. The warp is monotone, so
the best design in warped units is the best in the campaign's units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtri
from scipy.stats import rankdata

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class RankWarp:
    """Piecewise-linear map from observed values (``knots``) to normal scores (``scores``)."""

    knots: tuple[float, ...]
    scores: tuple[float, ...]

    @classmethod
    def fit(cls, y: Array) -> RankWarp:
        """The warp of observations ``y`` (at least two distinct values).

        Raises:
            ValueError: Fewer than two distinct values.
        """
        values = np.asarray(y, dtype=np.float64)
        knots = np.unique(values)
        if len(knots) < 2:
            raise ValueError("a rank warp needs at least two distinct values")
        ranks = rankdata(values, method="average")
        scores = ndtri((ranks - 0.5) / len(values))
        per_knot = np.array([scores[values == k].mean() for k in knots])
        return cls(tuple(knots.tolist()), tuple(per_knot.tolist()))

    def forward(self, y: Array) -> Array:
        """Normal scores of values ``y`` (any real numbers)."""
        return _interpolate(np.asarray(y, dtype=np.float64), self.knots, self.scores)

    def inverse(self, z: Array) -> Array:
        """Values whose normal scores are ``z``."""
        return _interpolate(np.asarray(z, dtype=np.float64), self.scores, self.knots)


def _interpolate(x: Array, xs: tuple[float, ...], ys: tuple[float, ...]) -> Array:
    """Linear interpolation through ``(xs, ys)``, continued beyond the ends with the mean slope."""
    grid, values = np.asarray(xs), np.asarray(ys)
    slope = (values[-1] - values[0]) / (grid[-1] - grid[0])
    inside = np.interp(x, grid, values)
    below = values[0] + slope * (x - grid[0])
    above = values[-1] + slope * (x - grid[-1])
    return np.where(x < grid[0], below, np.where(x > grid[-1], above, inside))
