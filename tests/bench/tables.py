"""Small synthetic tables of experiments for the bench tests."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

CATALYSTS = {"Pd_A": "[Pd]", "Pd_B": "CC(=O)[O-].CC(=O)[O-].[Pd+2]", "Ni_C": "[Ni]", "none": ""}
TEMPERATURES_C = (30.0, 50.0, 70.0, 90.0)
SOLVENTS = ("MeCN", "THF")
BEST = {"catalyst": "Pd_B", "temperature_C": 70.0, "solvent": "THF"}


def true_yield(catalyst: str, temperature_c: float, solvent: str) -> float:
    """A yield landscape with one clear optimum at ``BEST``."""
    base = {"Pd_A": 40.0, "Pd_B": 60.0, "Ni_C": 20.0, "none": 2.0}[catalyst]
    heat = 30.0 - abs(temperature_c - 70.0) / 2.0
    return round(base + heat + (10.0 if solvent == "THF" else 0.0), 3)


def write_grid(path: Path, repeats: int = 1) -> Path:
    """Every combination (4 × 4 × 2 = 32) with an id column, a code alias and SMILES.

    With ``repeats`` > 1 each combination appears that many times, the first copy
    1 point above and the second 1 point below its true yield (so means are exact).
    """
    rows = []
    codes = {c: f"c{i}" for i, c in enumerate(CATALYSTS)}
    for copy in range(repeats):
        offset = 0.0 if repeats == 1 else (1.0 if copy % 2 == 0 else -1.0)
        for catalyst, temperature, solvent in itertools.product(
            CATALYSTS, TEMPERATURES_C, SOLVENTS
        ):
            rows.append(
                {
                    "run_id": len(rows) + 1,
                    "catalyst": catalyst,
                    "catalyst_code": codes[catalyst],
                    "catalyst_smiles": CATALYSTS[catalyst],
                    "temperature_C": temperature,
                    "solvent": solvent,
                    "yield": true_yield(catalyst, temperature, solvent) + offset,
                }
            )
    pd.DataFrame(rows).to_csv(path, index=False)
    return path
