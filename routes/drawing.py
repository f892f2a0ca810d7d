"""Pictures of reactions for people: one step's reaction drawn as an SVG."""

from __future__ import annotations

from rdkit.Chem import rdChemReactions
from rdkit.Chem.Draw import rdMolDraw2D

from routes.errors import RouteInputError
from routes.model import RouteStep


def step_svg(step: RouteStep, width_px: int = 600, height_px: int = 180) -> str:
    """Draw ``step``'s reaction (reactants → product) as SVG text.

    Args:
        step: The route step.
        width_px: Width of the picture.
        height_px: Height of the picture.

    Raises:
        RouteInputError: The reaction SMILES does not parse.
    """
    text = f"{'.'.join(step.reactants)}>>{step.product}"
    reaction = rdChemReactions.ReactionFromSmarts(text, useSmiles=True)
    if reaction is None:
        raise RouteInputError("step", f"cannot draw {text!r}")
    drawer = rdMolDraw2D.MolDraw2DSVG(width_px, height_px)
    drawer.DrawReaction(reaction)
    drawer.FinishDrawing()
    return str(drawer.GetDrawingText())
