"""What random screening achieves, exactly: order statistics of a table without replacement.

A random screen of n experiments draws n distinct designs uniformly from the
table's N. With the values sorted worst first, v_(1) ... v_(N), the best of
the n is at most v_(i) with probability C(i, n) / C(N, n); everything here
follows from that and from the hypergeometric count of "good" designs drawn:

- :func:`random_best_quantiles`: quantiles (median, quartiles) of the best of n;
- :func:`top_fraction_target`: the value a design must reach to be in the
  table's top 1 % (or any fraction);
- :func:`random_first_hit_cdf`, :func:`random_first_hit_median`,
  :func:`random_restricted_mean`: experiments to the first such design.

The expected best itself is :func:`lab.bench.summary.random_expectation`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import gammaln

from lab.bench.summary import Direction, _worst_first, random_hit_probability


def _log_choose(log_factorials: np.ndarray, total: np.ndarray, chosen: int) -> np.ndarray:
    valid = total >= chosen
    out = np.full(total.shape, -np.inf)
    t = total[valid]
    out[valid] = log_factorials[t] - log_factorials[chosen] - log_factorials[t - chosen]
    return out


def random_best_cdf(
    values: Sequence[float] | np.ndarray, n: int, direction: Direction
) -> np.ndarray:
    """P(best of n random designs is no better than v_(i)), for the values sorted worst first.

    Returns ``(ordered, cdf)`` stacked as a (2, N) array: row 0 the values
    worst first, row 1 the probability C(i, n) / C(N, n) for i = 1..N.
    """
    ordered = _worst_first(values, direction)
    size = ordered.size
    if not 1 <= n <= size:
        raise ValueError(f"n must lie in 1..{size} (the table's designs), not {n}")
    log_factorials = gammaln(np.arange(size + 1) + 1.0)
    rank = np.arange(1, size + 1)
    log_cdf = _log_choose(log_factorials, rank, n) - _log_choose(
        log_factorials, np.array([size]), n
    )
    return np.vstack([ordered, np.exp(log_cdf)])


def random_best_quantiles(
    values: Sequence[float] | np.ndarray,
    n: int,
    quantiles: Sequence[float],
    direction: Direction,
) -> np.ndarray:
    """Exact quantiles of the best of n random designs (without replacement).

    The q-quantile is the worst table value v with P(best no better than v) >= q
    (the inverse of the exact distribution function, no interpolation). When
    minimizing, "worse" is larger, so the 25 % quantile is the higher value
    (the pessimistic quartile), matching how seed quartiles read: the lower
    quartile is always the worse one. Returned in the order of ``quantiles``.
    """
    ordered, cdf = random_best_cdf(values, n, direction)
    out = []
    for q in quantiles:
        if not 0.0 < q <= 1.0:
            raise ValueError(f"quantiles must lie in (0, 1], not {q}")
        index = int(np.searchsorted(cdf, q - 1e-12, side="left"))
        out.append(float(ordered[min(index, ordered.size - 1)]))
    return np.asarray(out)


def top_fraction_target(
    values: Sequence[float] | np.ndarray, fraction: float, direction: Direction
) -> float:
    """The value of the table's k-th best design, k = ceil(fraction × N) (at least 1).

    A design "is in the top 1 %" when it is at least as good as this value, so
    ties with the k-th best count too (a table may have more such designs than k).
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must lie in (0, 1], not {fraction}")
    ordered = _worst_first(values, direction)
    k = max(1, math.ceil(fraction * ordered.size - 1e-9))
    return float(ordered[ordered.size - k])


def random_first_hit_cdf(
    values: Sequence[float] | np.ndarray, target: float, n_max: int, direction: Direction
) -> np.ndarray:
    """P(the first design reaching ``target`` comes within n random experiments), n = 1..n_max.

    Beyond the table's size the probability stays 1 (every design was measured).
    """
    size = np.asarray(values).size
    probability = random_hit_probability(values, n_max, target, direction)
    if n_max > size:
        probability = np.concatenate([probability, np.ones(n_max - size)])
    return probability


def random_first_hit_median(
    values: Sequence[float] | np.ndarray, target: float, direction: Direction
) -> int:
    """Median experiments of a random screen to its first design reaching ``target``.

    The smallest n with P(hit within n) >= 1/2. The table must hold such a design.
    """
    ordered = _worst_first(values, direction)
    good = ordered >= target if direction == "maximize" else ordered <= target
    if not good.any():
        raise ValueError(f"no design of the table reaches {target}")
    cdf = random_first_hit_cdf(ordered, target, ordered.size, direction)
    return int(np.searchsorted(cdf, 0.5 - 1e-12, side="left")) + 1


def random_restricted_mean(
    values: Sequence[float] | np.ndarray, target: float, budget: int, direction: Direction
) -> float:
    """Expected min(experiments to the first hit, budget) of a random screen.

    The restricted mean: a screen that never hits within the budget counts as
    ``budget``. Equals the sum over n = 0..budget-1 of P(no hit within n).
    """
    if budget < 1:
        raise ValueError(f"budget must be at least 1, not {budget}")
    cdf = random_first_hit_cdf(values, target, budget, direction)
    survival = np.concatenate([[1.0], 1.0 - cdf[:-1]])
    return float(survival.sum())
