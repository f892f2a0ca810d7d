"""Molecules and reactions drawn for people: RDKit SVG, sanitized before it is inlined.

Every picture is cached by its SMILES. The SVG RDKit writes is parsed and
rebuilt from a whitelist of drawing elements and attributes (no script, no
event handler, no link, no foreign content), so nothing in a SMILES or a
name can reach the page as markup.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import lru_cache

from rdkit import Chem
from rdkit.Chem import rdChemReactions
from rdkit.Chem.Draw import rdMolDraw2D
from rdkit.rdBase import BlockLogs

SVG_NS = "http://www.w3.org/2000/svg"
_ELEMENTS = {
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
    "tspan", "title", "desc",
}  # fmt: skip
_ATTRIBUTES = {
    "version", "width", "height", "viewBox", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r",
    "rx", "ry", "d", "points", "class", "style", "fill", "stroke", "stroke-width", "opacity",
    "font-size", "font-family", "font-weight", "text-anchor", "dominant-baseline", "transform",
    "fill-opacity", "stroke-linecap", "stroke-linejoin", "stroke-opacity", "fill-rule",
    "xml:space", "id",
}  # fmt: skip
ET.register_namespace("", SVG_NS)


@lru_cache(maxsize=512)
def molecule_svg(smiles: str, width_px: int = 220, height_px: int = 160) -> str | None:
    """SVG text of the molecule, or ``None`` when the SMILES does not parse."""
    _quiet = BlockLogs()  # a bad SMILES is answered with None, not log lines
    molecule = Chem.MolFromSmiles(smiles)
    if molecule is None:
        return None
    drawer = rdMolDraw2D.MolDraw2DSVG(width_px, height_px)
    options = drawer.drawOptions()
    options.clearBackground = False  # type: ignore[assignment]
    drawer.DrawMolecule(molecule)
    drawer.FinishDrawing()
    return safe_svg(str(drawer.GetDrawingText()))


@lru_cache(maxsize=256)
def reaction_svg(reaction_smiles: str, width_px: int = 640, height_px: int = 170) -> str | None:
    """SVG text of a reaction ``reactants>>product`` (SMILES), or ``None`` if it does not parse."""
    _quiet = BlockLogs()
    try:
        reaction = rdChemReactions.ReactionFromSmarts(reaction_smiles, useSmiles=True)
    except ValueError:
        return None
    if reaction is None or not reaction.GetNumReactantTemplates():
        return None
    drawer = rdMolDraw2D.MolDraw2DSVG(width_px, height_px)
    options = drawer.drawOptions()
    options.clearBackground = False  # type: ignore[assignment]
    drawer.DrawReaction(reaction)
    drawer.FinishDrawing()
    return safe_svg(str(drawer.GetDrawingText()))


def safe_svg(text: str) -> str | None:
    """``text`` rebuilt from whitelisted SVG elements and attributes (``None`` if not SVG).

    Unknown elements are dropped with their content; attributes outside the
    whitelist (``on*`` handlers, ``href``, ``xlink:href`` …) are dropped; a
    ``style`` naming ``url(`` or ``expression`` is dropped.
    """
    try:
        root = ET.fromstring(text[text.index("<svg") :])
    except (ValueError, ET.ParseError):
        return None
    if _local(root.tag) != "svg":
        return None
    _clean(root)
    return ET.tostring(root, encoding="unicode")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith(f"{{{SVG_NS}}}") else f"!{tag}"


def _clean(element: ET.Element) -> None:
    for name in list(element.attrib):
        value = element.attrib[name].lower()
        unsafe = name == "style" and ("url(" in value or "expression" in value)
        if name not in _ATTRIBUTES or unsafe:
            del element.attrib[name]
    for child in list(element):
        if _local(child.tag) not in _ELEMENTS:
            element.remove(child)
        else:
            _clean(child)
