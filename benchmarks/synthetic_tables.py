"""Seeded synthetic reaction tables for the planner protocol (no published data).

Three shapes the published development tables have too few of:

- :func:`zero_inflated`: most rows yield exactly 0, a few yield well (a
  bounded, zero-inflated objective);
- :func:`with_interactions`: pairwise interactions (ligand × base, base ×
  solvent, ligand × temperature) as large as the main effects;
- :func:`many_levels`: a 24-level and a 12-level categorical choice, so that
  after 20 experiments most levels are still untried.

Every table is a full factorial of its levels with a ``yield_pct`` column in
0–100, drawn from a fixed seed: the same call always returns the same table.
"""

from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd

OBJECTIVE = "yield_pct"
"""The objective column of every synthetic table."""


def _labels(prefix: str, count: int) -> list[object]:
    return [f"{prefix}{i:02d}" for i in range(1, count + 1)]


def _grid(levels: dict[str, list[object]]) -> pd.DataFrame:
    return pd.DataFrame(list(product(*levels.values())), columns=list(levels))


def _codes(table: pd.DataFrame, column: str, levels: list[object]) -> np.ndarray:
    index = {level: i for i, level in enumerate(levels)}
    return table[column].map(index).to_numpy(dtype=int)


def zero_inflated(seed: int = 101) -> pd.DataFrame:
    """3,600 rows (catalyst 6 × ligand 8 × base 5 × solvent 3 × temperature 5), ~60 % zero yield."""
    rng = np.random.default_rng(seed)
    levels: dict[str, list[object]] = {
        "catalyst": _labels("cat", 6),
        "ligand": _labels("lig", 8),
        "base": _labels("base", 5),
        "solvent": _labels("solv", 3),
        "temperature_c": [30.0, 50.0, 70.0, 90.0, 110.0],
    }
    table = _grid(levels)
    effects = {name: rng.normal(0.0, 0.5, len(levels[name])) for name in list(levels)[:4]}
    latent = sum(effects[n][_codes(table, n, levels[n])] for n in effects)
    best_t = rng.uniform(60.0, 100.0)
    latent = latent - ((table["temperature_c"].to_numpy() - best_t) / 40.0) ** 2 + 0.3
    positive = np.clip(latent, 0.0, None)
    table[OBJECTIVE] = np.round(100.0 * (positive / positive.max()) ** 1.2, 2)
    return table


def with_interactions(seed: int = 202) -> pd.DataFrame:
    """1,152 rows (ligand 8 × base 6 × solvent 4 × temperature 6); interactions as big as mains."""
    rng = np.random.default_rng(seed)
    levels: dict[str, list[object]] = {
        "ligand": _labels("lig", 8),
        "base": _labels("base", 6),
        "solvent": _labels("solv", 4),
        "temperature_c": [25.0, 45.0, 65.0, 85.0, 105.0, 125.0],
    }
    table = _grid(levels)
    lig, base, solv = (_codes(table, n, levels[n]) for n in ("ligand", "base", "solvent"))
    temperature = (table["temperature_c"].to_numpy() - 75.0) / 50.0
    main = rng.normal(0, 0.6, 8)[lig] + rng.normal(0, 0.6, 6)[base] + rng.normal(0, 0.4, 4)[solv]
    pairs = rng.normal(0, 0.6, (8, 6))[lig, base] + rng.normal(0, 0.5, (6, 4))[base, solv]
    slope = rng.normal(0, 0.8, 8)[lig] * temperature - 0.5 * temperature**2
    latent = main + pairs + slope
    table[OBJECTIVE] = np.round(100.0 / (1.0 + np.exp(-2.0 * (latent - 1.0))), 2)
    return table


def many_levels(seed: int = 303) -> pd.DataFrame:
    """1,440 rows (additive 24 × catalyst 12 × solvent 5): most levels unseen after 20 runs."""
    rng = np.random.default_rng(seed)
    levels: dict[str, list[object]] = {
        "additive": _labels("add", 24),
        "catalyst": _labels("cat", 12),
        "solvent": _labels("solv", 5),
    }
    table = _grid(levels)
    add, cat, solv = (_codes(table, n, levels[n]) for n in levels)
    latent = (
        rng.normal(0, 1.0, 24)[add]
        + rng.normal(0, 0.8, 12)[cat]
        + rng.normal(0, 0.5, 5)[solv]
        + rng.normal(0, 0.4, (24, 12))[add, cat]
    )
    table[OBJECTIVE] = np.round(100.0 / (1.0 + np.exp(-1.5 * (latent - 1.5))), 2)
    return table
