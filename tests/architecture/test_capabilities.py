"""Builders declare what they can do through typed protocols, checked here for the shipped ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.builders.capabilities import BuildsPlates, ChecksRunnable, OffersCandidates
from lab.running.campaigns import load_campaign


@pytest.mark.parametrize(
    ("campaign", "plates", "candidates", "checks"),
    [
        ("snar_flow.yaml", False, False, False),
        ("suzuki_hte.yaml", True, False, True),
    ],
)
def test_shipped_builders_declare_their_capabilities(
    examples: Path, campaign: str, plates: bool, candidates: bool, checks: bool
) -> None:
    from tests.conftest import ROOT

    lab = examples / "labs" / "ot2_suzuki.yaml"
    lab.write_text(lab.read_text().replace("../../simulators/data/", f"{ROOT}/simulators/data/"))
    builder = load_campaign(examples / campaign).builder
    assert isinstance(builder, BuildsPlates) is plates
    assert isinstance(builder, OffersCandidates) is candidates
    assert isinstance(builder, ChecksRunnable) is checks


def test_a_builder_without_the_method_lacks_the_capability() -> None:
    class Plain:
        def build(self, design, name): ...

    assert not isinstance(Plain(), BuildsPlates | OffersCandidates | ChecksRunnable)
