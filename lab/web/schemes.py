"""Reaction schemes of a proposal, where its campaign names reactants and products.

Route campaigns do: each step of the route the design runs (the ``route``
parameter picks it when several routes are approved) is drawn as
``reactants>>product``. Other campaign kinds name the molecules they use but
no product, so they get no scheme (their molecules are drawn one by one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lab.builders.route import ROUTE_PARAMETER
from lab.specs.campaign import CampaignSpec
from lab.specs.route import RouteProtocolSpec
from lab.web.chemdraw import reaction_svg


@dataclass(frozen=True)
class Scheme:
    """One reaction step drawn: its caption, reaction SMILES and SVG (``None`` if undrawable)."""

    caption: str
    smiles: str
    svg: str | None


def reaction_schemes(spec: CampaignSpec | None, design: Mapping[str, Any]) -> list[Scheme]:
    """The reaction steps of ``design``, drawn; empty when the campaign names no reactions."""
    if spec is None or not isinstance(spec.protocol, RouteProtocolSpec):
        return []
    routes = spec.protocol.routes
    chosen = next((r for r in routes if r.label == design.get(ROUTE_PARAMETER)), None)
    if chosen is None and len(routes) == 1:
        chosen = routes[0]
    if chosen is None:
        return []
    schemes = []
    for number, step in enumerate(chosen.route.steps, start=1):
        smiles = f"{'.'.join(step.reactants)}>>{step.product}"
        caption = f"route {chosen.label}, step {number}: {step.template_class}"
        schemes.append(Scheme(caption, smiles, reaction_svg(smiles)))
    return schemes
