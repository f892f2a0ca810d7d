"""Replicates of one design aggregated into a mean and a noise estimate.

A plate assays each construct in several wells. The model learns from one
row per design (the mean of its wells) weighted by how many wells it has,
and from the pooled within-design spread: the measurement noise, which the
model's predictive uncertainty includes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from planner.problem import Design, Observation, completed


@dataclass(frozen=True)
class Aggregated:
    """One row per distinct design."""

    designs: list[Design]
    mean: np.ndarray
    count: np.ndarray
    noise_sd: float | None
    """Pooled within-design standard deviation (``None`` without replicates)."""
    relative_noise: float | None
    """Pooled standard deviation of log values (≈ relative noise), for positive outcomes."""


def design_key(design: Mapping[str, object], names: Sequence[str]) -> tuple[str, ...]:
    """Hashable key of a design over ``names``."""
    return tuple(repr(design[n]) for n in names)


def aggregate(
    observations: Sequence[Observation], names: Sequence[str], outcome: str
) -> Aggregated:
    """Group the current campaign's completed observations of ``outcome`` by design."""
    groups: dict[tuple[str, ...], tuple[Design, list[float]]] = {}
    for observation in completed(observations):
        value = observation.values.get(outcome)
        if value is None or not np.isfinite(value):
            continue
        key = design_key(observation.parameters, names)
        groups.setdefault(key, (observation.parameters, []))[1].append(float(value))
    designs = [d for d, _ in groups.values()]
    values = [np.asarray(v) for _, v in groups.values()]
    return Aggregated(
        designs=designs,
        mean=np.array([v.mean() for v in values]),
        count=np.array([len(v) for v in values], dtype=float),
        noise_sd=_pooled(values),
        relative_noise=_pooled([np.log(v) for v in values if (v > 0).all()]),
    )


def _pooled(groups: Sequence[np.ndarray]) -> float | None:
    replicated = [g for g in groups if len(g) > 1]
    dof = sum(len(g) - 1 for g in replicated)
    if dof == 0:
        return None
    return float(np.sqrt(sum(((g - g.mean()) ** 2).sum() for g in replicated) / dof))
