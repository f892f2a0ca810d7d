"""First batches, before any model: spread over the candidates without favouring corners.

- ``balanced``: each pick is a free row whose parameter levels have
  been used least so far (observed, pending and already picked designs), ties
  drawn at random from the seed. Numeric columns with many values count by
  quintile, so a first batch covers low, middle and high settings alike
  instead of only the extremes.
- ``maximin``: each pick is the row farthest (in feature space, choice blocks
  scaled to unit spread) from everything placed; ties are broken in a random
  order drawn from the seed, never by table order. On numeric ranges this
  design favours corners.
- ``random``: rows drawn uniformly.
- ``medoids``: representative points of the candidate set (a randomized
  p-median): each pick is the row that most shortens the weighted distance
  from every candidate to its nearest placed design, the weights drawn from
  the seed. Picks sit where the candidates are, not at the ends of numeric
  ranges, and still cover every choice parameter's levels. On large sets a
  random sample of :data:`MEDOID_SAMPLE` candidates stands for the set.
- ``auto``: ``medoids`` on a candidate set of at most :data:`SMALL_CANDIDATE_SET`
  designs (where a few batches measure a large share of the set and maximin's
  corners are a large share of the first batch), ``maximin`` on larger sets.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import torch
from torch import Tensor

from planner.acquisition import Chooser, maximin_batch
from planner.candidates import CandidateSet
from planner.encoding import Encoder
from planner.model_options import Initial
from planner.problem import Design
from planner.surrogate import DTYPE

NUMERIC_BINS = 5
"""Numeric columns with more distinct values than this count by quantile bin."""
SMALL_CANDIDATE_SET = 150
"""Largest candidate set on which ``auto`` spreads the first batch by ``medoids``."""
MEDOID_SAMPLE = 2000
"""At most this many candidates (drawn from the seed) are weighed, and chosen among, by
``medoids``, so that its distance matrix stays small."""


def initial_chooser(
    initial: Initial,
    encoder: Encoder,
    candidates: CandidateSet,
    features: Tensor,
    placed: Sequence[Design],
    seed: int,
) -> Chooser:
    """A chooser for the first batch, away from the ``placed`` (observed) designs."""
    rng = np.random.default_rng(seed)
    initial = resolved(initial, len(candidates))
    if initial == "random":
        return lambda rows, n, _pending: [
            rows[int(i)] for i in rng.choice(len(rows), size=min(n, len(rows)), replace=False)
        ]
    if initial == "balanced":
        return _balanced_chooser(candidates, placed, rng)
    spread = spread_scaled(encoder, features)
    observed = spread_scaled(encoder, torch.as_tensor(encoder.encode(list(placed)), dtype=DTYPE))
    if initial == "medoids":
        return _medoid_chooser(encoder, spread, observed, rng)

    def choose(rows: list[int], n: int, pending_x: Tensor) -> list[int]:
        order = [rows[int(i)] for i in rng.permutation(len(rows))]
        already = torch.cat([observed, spread_scaled(encoder, pending_x)])
        return maximin_batch(spread, order, already, n, start=0)

    return choose


def resolved(initial: Initial, n_candidates: int) -> Initial:
    """The design ``initial`` stands for on a set of ``n_candidates`` (``auto`` resolved)."""
    if initial != "auto":
        return initial
    return "medoids" if n_candidates <= SMALL_CANDIDATE_SET else "maximin"


def _medoid_chooser(
    encoder: Encoder, spread: Tensor, observed: Tensor, rng: np.random.Generator
) -> Chooser:
    demand = np.arange(spread.shape[0])
    if len(demand) > MEDOID_SAMPLE:
        demand = np.sort(rng.choice(len(demand), size=MEDOID_SAMPLE, replace=False))
    weights = rng.exponential(size=len(demand))

    def choose(rows: list[int], n: int, pending_x: Tensor) -> list[int]:
        if len(rows) > MEDOID_SAMPLE:
            rows = sorted(int(r) for r in rng.choice(rows, size=MEDOID_SAMPLE, replace=False))
        placed = torch.cat([observed, spread_scaled(encoder, pending_x)])
        return medoid_batch(spread, demand, weights, rows, placed, n)

    return choose


def medoid_batch(
    features: Tensor,
    demand: npt.NDArray[np.intp],
    weights: npt.NDArray[np.float64],
    rows: Sequence[int],
    placed: Tensor,
    n: int,
) -> list[int]:
    """Greedy weighted p-median: ``n`` of ``rows`` that best represent every candidate.

    Each pick is the row whose addition most lowers ``sum_i w_i d_i`` over the
    ``demand`` candidates, where ``d_i`` is the distance from candidate ``i``
    to its nearest design (placed or picked). Before anything is placed,
    ``d_i`` is the largest distance between a demand candidate and a row.

    Args:
        features: Feature rows of all candidates (blocks scaled to comparable spread).
        demand: The candidates (row numbers) the design should represent.
        weights: Non-negative weight of each ``demand`` candidate (drawn from the seed).
        rows: Row numbers that may be chosen.
        placed: Feature rows already in the design (observed or pending).
        n: How many to choose.
    """
    points = features[torch.as_tensor(demand)]
    distance = torch.cdist(points, features[list(rows)]).numpy()
    if len(placed):
        nearest = torch.cdist(points, placed).min(dim=1).values.numpy()
    else:
        nearest = np.full(len(demand), float(distance.max()) if distance.size else 0.0)
    alive = np.ones(len(rows), dtype=bool)
    picks: list[int] = []
    for _ in range(min(n, len(rows))):
        gain = weights @ np.maximum(nearest[:, None] - distance, 0.0)
        best = int(np.argmax(np.where(alive, gain, -np.inf)))
        alive[best] = False
        picks.append(rows[best])
        nearest = np.minimum(nearest, distance[:, best])
    return picks


def _balanced_chooser(
    candidates: CandidateSet, placed: Sequence[Design], rng: np.random.Generator
) -> Chooser:
    codes = level_codes(candidates.table)
    widths = codes.max(axis=0) + 1
    positions = [candidates.position(d) for d in placed]
    base = [p for p in positions if p is not None]

    def choose(rows: list[int], n: int, pending_x: Tensor) -> list[int]:
        del pending_x  # pending designs are among ``placed``; earlier picks are kept in ``base``
        picks = balanced_batch(codes, widths, rows, base, n, rng)
        base.extend(picks)
        return picks

    return choose


def balanced_batch(
    codes: npt.NDArray[np.intp],
    widths: npt.NDArray[np.intp],
    rows: Sequence[int],
    placed: Sequence[int],
    n: int,
    rng: np.random.Generator,
) -> list[int]:
    """Pick ``n`` of ``rows``, each the one whose levels were used least (random ties).

    Args:
        codes: Level code of every candidate (rows) in every parameter (columns).
        widths: Number of levels of each parameter.
        rows: Candidate rows that may be picked.
        placed: Rows already in the design, whose levels count as used.
        n: How many to pick.
        rng: Source of the tie-breaking noise.
    """
    counts = [np.zeros(w, dtype=np.float64) for w in widths]
    for row in placed:
        _add(counts, codes[row])
    pool = np.asarray(rows, dtype=np.intp)
    alive = np.ones(len(pool), dtype=bool)
    picks: list[int] = []
    for _ in range(min(n, len(pool))):
        used = sum(c[codes[pool, j]] for j, c in enumerate(counts))
        score = np.where(alive, used + 0.5 * rng.random(len(pool)), np.inf)
        best = int(np.argmin(score))
        alive[best] = False
        picks.append(int(pool[best]))
        _add(counts, codes[pool[best]])
    return picks


def _add(counts: list[npt.NDArray[np.float64]], levels: npt.NDArray[np.intp]) -> None:
    for j, level in enumerate(levels):
        counts[j][level] += 1.0


def level_codes(table: pd.DataFrame) -> npt.NDArray[np.intp]:
    """Each cell's level number per column; numeric columns of many values by quantile bin."""
    columns = []
    for name in table.columns:
        values = table[name]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique() > NUMERIC_BINS:
            binned = pd.qcut(values.rank(method="first"), NUMERIC_BINS, labels=False)
            columns.append(np.asarray(binned, dtype=np.intp))
        else:
            columns.append(pd.factorize(values, sort=True)[0].astype(np.intp))
    return np.stack(columns, axis=1)


def spread_scaled(encoder: Encoder, features: Tensor) -> Tensor:
    """Features with each choice block scaled so its two most different values are 1 apart."""
    out = features.clone()
    for block in encoder.blocks:
        if block.kind != "numeric":
            out[:, block.start : block.stop] /= block.diameter
    return out
