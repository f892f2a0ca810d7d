"""Molecules drawn for people: one SMILES as an RDKit SVG."""

from __future__ import annotations

from functools import lru_cache

from rdkit import Chem
from rdkit.Chem.Draw import rdMolDraw2D


@lru_cache(maxsize=512)
def molecule_svg(smiles: str, width_px: int = 220, height_px: int = 160) -> str | None:
    """SVG text of the molecule, or ``None`` when the SMILES does not parse."""
    molecule = Chem.MolFromSmiles(smiles)
    if molecule is None:
        return None
    drawer = rdMolDraw2D.MolDraw2DSVG(width_px, height_px)
    options = drawer.drawOptions()
    options.clearBackground = False  # type: ignore[assignment]
    drawer.DrawMolecule(molecule)
    drawer.FinishDrawing()
    text = str(drawer.GetDrawingText())
    return text[text.index("<svg") :]
