"""Molecules: SMILES checking and canonical forms (RDKit)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def canonical_smiles(smiles: str) -> str | None:
    """Return RDKit's canonical SMILES, or ``None`` when ``smiles`` does not parse."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]
    molecule = Chem.MolFromSmiles(smiles)
    return None if molecule is None else str(Chem.MolToSmiles(molecule))


def invalid_smiles(smiles: str) -> bool:
    """Return whether RDKit cannot parse ``smiles``."""
    return canonical_smiles(smiles) is None
