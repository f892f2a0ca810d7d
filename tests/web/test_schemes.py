"""Reaction schemes and molecules as SVG: drawn, cached by SMILES, and never markup of the input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from datastore import Datastore
from lab.services.route_campaigns import load_route_campaign
from lab.specs.route import RouteProtocolSpec
from lab.web.chemdraw import molecule_svg, reaction_svg, safe_svg
from lab.web.schemes import reaction_schemes
from tests.lab.helpers import small_campaign

SUZUKI = "Brc1ccccc1.OB(O)c1ccccc1>>c1ccc(-c2ccccc2)cc1"


def test_a_reaction_is_drawn_once_per_smiles() -> None:
    reaction_svg.cache_clear()
    first = reaction_svg(SUZUKI)
    assert first is not None and first.startswith("<svg") and first.count("<path") > 10
    assert reaction_svg(SUZUKI) is first and reaction_svg.cache_info().hits == 1


@pytest.mark.parametrize("text", ["C>>(", "not a reaction", "", ">>"])
def test_a_reaction_that_does_not_parse_draws_nothing(text: str) -> None:
    assert reaction_svg(text) is None


def test_svg_keeps_drawing_and_drops_anything_active() -> None:
    hostile = (
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
        '<script>alert(2)</script><text x="1" onclick="alert(3)">&lt;script&gt;</text>'
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
        '<a href="javascript:alert(4)"><path d="M 0,0"/></a>'
        '<path d="M 1,1" style="fill:url(javascript:alert(5))"/><rect width="2" height="2"/></svg>'
    )
    cleaned = safe_svg(hostile)
    assert cleaned is not None
    for bad in ("alert", "script>", "onload", "onclick", "foreignObject", "href", "<a"):
        assert bad not in cleaned, bad
    assert "&lt;script&gt;" in cleaned and '<rect width="2" height="2"' in cleaned
    assert safe_svg("<html><body>no svg</body></html>") is None


def test_a_smiles_cannot_inject_markup() -> None:
    assert molecule_svg('C"><script>alert(1)</script>') is None
    drawn = molecule_svg("[Na+].[OH-]")
    assert drawn is not None and "<script" not in drawn


def test_route_campaigns_draw_every_step_of_the_chosen_route(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples", examples)
    store = Datastore(f"sqlite:///{tmp_path / 'route.db'}")
    loaded, _ = load_route_campaign(store, examples / "route_campaign.yaml", "ci", budget=4)
    protocol = loaded.spec.protocol
    assert isinstance(protocol, RouteProtocolSpec) and len(protocol.routes) >= 2
    for approved in protocol.routes:
        schemes = reaction_schemes(loaded.spec, {"route": approved.label})
        assert len(schemes) == approved.route.step_count
        for scheme, step in zip(schemes, approved.route.steps, strict=True):
            assert scheme.smiles == f"{'.'.join(step.reactants)}>>{step.product}"
            assert scheme.svg is not None and scheme.svg.startswith("<svg")
            assert f"route {approved.label}" in scheme.caption
    assert reaction_schemes(loaded.spec, {"route": "no-such-route"}) == []
    store.dispose()


def test_campaigns_naming_no_product_get_no_scheme(examples: Path) -> None:
    loaded = small_campaign(examples, budget=2, batch=1)
    assert reaction_schemes(loaded.spec, {"temperature_c": 50.0}) == []
    assert reaction_schemes(None, {}) == []
