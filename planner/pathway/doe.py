"""First-cycle library reduction: orthogonal arrays over the levels of a discrete space.

A strength-2 orthogonal array OA(p^k, m, p, 2) over the prime field GF(p)
(Rao–Hamming construction) has p^k runs and up to (p^k − 1)/(p − 1)
columns; in every pair of columns each pair of levels appears equally often,
so each factor's main effect is estimated from a balanced share of the runs.
With p = 2 it is a resolution-III two-level fractional factorial (the
Plackett–Burman-like designs the Manchester pipeline used to cut 2592
pinocembrin designs to 16). Factors with fewer levels than p take collapsed
levels (``level·L // p``), which keeps the pairs proportionally balanced.

Everything is pure and seeded: the columns and level labels are permuted by
the seed, so seeds give different, equally good arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product

import numpy as np
import numpy.typing as npt

from planner.candidates import CandidateSet
from planner.errors import InfeasibleSpaceError, PlannerError
from planner.parameters import FloatParameter, choices_of
from planner.space import ParameterValue, SearchSpace

IntMatrix = npt.NDArray[np.int64]


def next_prime(n: int) -> int:
    """The smallest prime ≥ ``n`` (and ≥ 2)."""
    candidate = max(2, n)
    while any(candidate % d == 0 for d in range(2, int(candidate**0.5) + 1)):
        candidate += 1
    return candidate


def rao_hamming(p: int, k: int) -> IntMatrix:
    """The OA(p^k, (p^k−1)/(p−1), p, 2) over GF(p), p prime: runs × columns of levels 0..p−1."""
    runs = np.array(list(product(range(p), repeat=k)), dtype=np.int64)
    columns = [
        np.array(c, dtype=np.int64)
        for c in product(range(p), repeat=k)
        if any(c) and c[next(i for i, x in enumerate(c) if x)] == 1
    ]
    return np.stack([(runs @ c) % p for c in columns], axis=1)


def orthogonal_array(
    levels: Sequence[int], seed: int = 0, max_runs: int | None = None
) -> IntMatrix:
    """A strength-2 array for factors with the given level counts (runs × factors).

    Args:
        levels: Number of levels of each factor (each ≥ 1).
        seed: Permutes the columns used and each factor's level labels.
        max_runs: Use the largest array with at most this many runs (the smallest
            array that holds every factor when even that is larger).

    Raises:
        PlannerError: No factors, or a factor without levels.
    """
    if not levels or min(levels) < 1:
        raise PlannerError("an orthogonal array needs factors with at least one level each")
    p = next_prime(max(levels))
    k = 1
    while (p**k - 1) // (p - 1) < len(levels):
        k += 1
    while max_runs is not None and p ** (k + 1) <= max_runs:
        k += 1
    rng = np.random.default_rng(seed)
    full = rao_hamming(p, k)
    chosen = full[:, rng.permutation(full.shape[1])[: len(levels)]]
    out = np.empty_like(chosen)
    for j, count in enumerate(levels):
        relabelled = rng.permutation(p)[chosen[:, j]]
        out[:, j] = relabelled * count // p
    return out


def is_orthogonal(array: IntMatrix) -> bool:
    """Whether every pair of columns shows each level pair in proportion to the levels' shares."""
    n = array.shape[0]
    for a in range(array.shape[1]):
        for b in range(a + 1, array.shape[1]):
            for u in np.unique(array[:, a]):
                for v in np.unique(array[:, b]):
                    joint = np.sum((array[:, a] == u) & (array[:, b] == v))
                    expected = np.sum(array[:, a] == u) * np.sum(array[:, b] == v) / n
                    if not np.isclose(joint, expected):
                        return False
    return True


def array_designs(space: SearchSpace, array: IntMatrix) -> list[dict[str, ParameterValue]]:
    """The designs of an array's rows (column j = the space's parameter j)."""
    levels = [choices_of(p) for p in space.parameters]
    return [
        {p.name: levels[j][int(row[j])] for j, p in enumerate(space.parameters)} for row in array
    ]


def reduced_library(
    space: SearchSpace,
    candidates: CandidateSet | None,
    n: int,
    seed: int,
    used: Sequence[Mapping[str, ParameterValue]] = (),
) -> list[dict[str, ParameterValue]]:
    """A first-cycle library of ``n`` designs: an orthogonal array, topped up at random.

    Runs of the array that the candidate table does not hold (exclusions, the
    parts cap) or that are used already are dropped; when the array has fewer
    than ``n`` runs left, the rest are drawn uniformly from the unused
    candidates; when it has more, a seeded subset of its runs is kept.

    Raises:
        PlannerError: A continuous parameter (arrays need levels).
        InfeasibleSpaceError: Fewer than ``n`` unused candidates.
    """
    continuous = [p.name for p in space.parameters if isinstance(p, FloatParameter)]
    if continuous:
        raise PlannerError(f"an orthogonal array needs levels; {continuous[0]} is continuous")
    array = orthogonal_array([len(choices_of(p)) for p in space.parameters], seed, max_runs=n)
    taken = {_key(space, d) for d in used}
    chosen: list[dict[str, ParameterValue]] = []
    for design in array_designs(space, array):
        key = _key(space, design)
        allowed = (
            candidates.position(design) is not None if candidates else space.is_feasible(design)
        )
        if allowed and key not in taken:
            taken.add(key)
            chosen.append(design)
    rng = np.random.default_rng([seed, len(used)])
    if len(chosen) > n:
        return [chosen[int(i)] for i in sorted(rng.choice(len(chosen), n, replace=False))]
    if len(chosen) < n and candidates is not None:
        free = [r for r in candidates.rows() if _key(space, r) not in taken]
        if len(free) < n - len(chosen):
            raise InfeasibleSpaceError(
                f"only {len(free) + len(chosen)} designs left; asked for {n}"
            )
        extra = rng.choice(len(free), n - len(chosen), replace=False)
        chosen += [dict(free[int(i)]) for i in extra]
    return chosen


def _key(space: SearchSpace, design: Mapping[str, ParameterValue]) -> tuple[str, ...]:
    return tuple(repr(design[name]) for name in space.names)
