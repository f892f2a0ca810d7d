"""Small RDKit helpers: parse, canonicalize and compare molecules and reactions."""

from __future__ import annotations

from rdkit import Chem, RDLogger

from routes.errors import RouteInputError

RDLogger.DisableLog("rdApp.*")  # type: ignore[attr-defined]  # parse failures are reported as RouteInputError instead


def canonical(smiles: str, where: str) -> str:
    """Return the canonical (isomeric) SMILES of ``smiles``.

    Args:
        smiles: A SMILES string (one molecule or dot-separated fragments).
        where: What the SMILES belongs to, for the error message.

    Raises:
        RouteInputError: ``smiles`` is empty or RDKit cannot parse and sanitize it.
    """
    text = smiles.strip()
    mol = Chem.MolFromSmiles(text) if text else None
    if mol is None:
        raise RouteInputError(where, f"{smiles!r} is not a valid SMILES")
    return str(Chem.MolToSmiles(mol))


def is_valid(smiles: str) -> bool:
    """Return whether RDKit parses and sanitizes ``smiles``."""
    return bool(smiles.strip()) and Chem.MolFromSmiles(smiles) is not None


def reaction_smiles(reactants: tuple[str, ...], product: str) -> str:
    """Return ``a.b>>p``: the reaction SMILES of one step (reagents left out)."""
    return ".".join(reactants) + ">>" + product


def split_reaction(text: str, where: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Split ``reactants>reagents>product`` (or ``reactants>>product``) into canonical parts.

    Returns:
        (reactants, reagents, product), each canonical; a product of several
        fragments keeps the largest as the product.

    Raises:
        RouteInputError: Not a reaction SMILES, or a part that does not parse.
    """
    parts = text.split(">")
    if len(parts) != 3 or not parts[0] or not parts[2]:
        raise RouteInputError(where, f"{text!r} is not a reaction SMILES 'reactants>>product'")
    reactants = tuple(canonical(s, where) for s in parts[0].split("."))
    reagents = tuple(canonical(s, where) for s in parts[1].split(".") if s)
    products = [canonical(s, where) for s in parts[2].split(".")]
    product = max(products, key=heavy_atoms)
    return reactants, reagents, product


def heavy_atoms(smiles: str) -> int:
    """Number of heavy atoms of a (valid) SMILES."""
    mol = Chem.MolFromSmiles(smiles)
    return 0 if mol is None else int(mol.GetNumHeavyAtoms())


def strip_mapping(smiles: str) -> str:
    """Return ``smiles`` without atom-map numbers, canonical."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return smiles
    for atom in mol.GetAtoms():
        atom.SetAtomMapNum(0)
    return str(Chem.MolToSmiles(mol))
