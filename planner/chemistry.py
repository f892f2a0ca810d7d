"""Molecules: SMILES checking, canonical forms and features (RDKit).

Features are computed per molecule and cached by SMILES; an empty SMILES
stands for "nothing added" and gets the features of the empty molecule (zero
counts, no fingerprint bits).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

MORGAN_RADIUS = 2
MORGAN_BITS = 2048


@lru_cache(maxsize=4096)
def canonical_smiles(smiles: str) -> str | None:
    """Return RDKit's canonical SMILES, or ``None`` when ``smiles`` does not parse."""
    molecule = _molecule(smiles)
    if molecule is None:
        return None
    from rdkit import Chem

    return str(Chem.MolToSmiles(molecule))


def invalid_smiles(smiles: str) -> bool:
    """Return whether RDKit cannot parse ``smiles``."""
    return canonical_smiles(smiles) is None


def descriptor_matrix(smiles: Sequence[str]) -> npt.NDArray[np.float64]:
    """RDKit 2D descriptors, one row per SMILES (columns in RDKit's fixed order).

    Descriptors RDKit cannot compute for a molecule (e.g. partial-charge
    descriptors of salts) are NaN; callers decide what to drop.

    Raises:
        ValueError: A SMILES does not parse (naming it).
    """
    return np.vstack([_descriptors(s) for s in smiles])


def morgan_matrix(
    smiles: Sequence[str], radius: int = MORGAN_RADIUS, n_bits: int = MORGAN_BITS
) -> npt.NDArray[np.float64]:
    """Morgan (ECFP-like) bit fingerprints, one 0/1 row per SMILES.

    Raises:
        ValueError: A SMILES does not parse (naming it).
    """
    return np.vstack([_morgan(s, radius, n_bits) for s in smiles]).astype(np.float64)


@lru_cache(maxsize=4096)
def _descriptors(smiles: str) -> npt.NDArray[np.float64]:
    from rdkit.Chem import Descriptors

    values: dict[str, Any] = Descriptors.CalcMolDescriptors(_parsed(smiles))
    row = np.array([_finite_or_nan(v) for v in values.values()], dtype=np.float64)
    row.setflags(write=False)
    return row


@lru_cache(maxsize=4096)
def _morgan(smiles: str, radius: int, n_bits: int) -> npt.NDArray[np.uint8]:
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    bits = np.asarray(generator.GetFingerprintAsNumPy(_parsed(smiles)), dtype=np.uint8)
    bits.setflags(write=False)
    return bits


def _parsed(smiles: str) -> Any:
    molecule = _molecule(smiles)
    if molecule is None:
        raise ValueError(f"invalid SMILES {smiles!r}: RDKit cannot parse it")
    return molecule


@lru_cache(maxsize=4096)
def _molecule(smiles: str) -> Any:
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    return Chem.MolFromSmiles(smiles)


def _finite_or_nan(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan
