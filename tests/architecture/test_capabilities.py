"""Builders declare what they can do through typed protocols, checked here for the shipped ones."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lab.builders.capabilities import BuildsPlates, ChecksRunnable, OffersCandidates
from lab.running.campaigns import load_campaign
from tests.architecture.import_graph import ROOT


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


# ------------------------------------------------------------------ no probes
PROBE_ALLOWED = {
    ("lab/running/stored_specs.py", "CSafeLoader"),  # libyaml's loader: an optional PyYAML build
    ("lab/web/live.py", "live_max_s"),  # an optional setting on Starlette's app.state namespace
}
"""Literal ``getattr`` lookups kept on purpose: none asks a builder or a device what it can do."""


def builder_classes() -> set[str]:
    """Names of the concrete builders: classes of ``lab/builders/`` with a ``build`` method."""
    names = set()
    for path in (ROOT / "lab" / "builders").glob("*.py"):
        if path.name != "capabilities.py":
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names |= {
                n.name
                for n in ast.walk(tree)
                if isinstance(n, ast.ClassDef)
                and any(isinstance(f, ast.FunctionDef) and f.name == "build" for f in n.body)
            }
    return names


def probes(source: str, where: str, builders: set[str]) -> list[str]:
    """Probes in one module: ``hasattr``, literal ``getattr``, ``isinstance`` on a builder class."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        line = f"{where}:{node.lineno}"
        name, args = node.func.id, node.args
        if name == "hasattr":
            found.append(f"{line}: hasattr(...)")
        literal = len(args) >= 2 and isinstance(args[1], ast.Constant)
        if name == "getattr" and literal and (where, args[1].value) not in PROBE_ALLOWED:
            found.append(f"{line}: getattr(..., {args[1].value!r})")
        if name == "isinstance" and len(args) == 2:
            named = {n.id for n in ast.walk(args[1]) if isinstance(n, ast.Name)}
            found += [f"{line}: isinstance(..., {c})" for c in sorted(named & builders)]
    return found


def test_lab_asks_for_capabilities_not_attributes() -> None:
    """A capability is a protocol of :mod:`lab.builders.capabilities`, never a probe by name."""
    builders = builder_classes()
    assert {"HtePlateBuilder", "RouteBuilder", "PathwayBuilder", "FlowReactorBuilder"} <= builders
    found = [
        problem
        for path in sorted((ROOT / "lab").rglob("*.py"))
        for problem in probes(
            path.read_text(encoding="utf-8"), path.relative_to(ROOT).as_posix(), builders
        )
    ]
    assert found == [], "declare a protocol in lab/builders/capabilities.py instead: " + "; ".join(
        found
    )


@pytest.mark.parametrize(
    ("source", "count"),
    [
        ("if hasattr(builder, 'candidates'): pass", 1),
        ("deck = getattr(device, 'deck', None)", 1),
        ("assert isinstance(builder, RouteBuilder)", 1),
        ("ok = isinstance(builder, HtePlateBuilder | StationBuilder)", 2),
        ("ok = isinstance(builder, PlateBuilder) and getattr(spec, key)", 0),
    ],
)
def test_a_reintroduced_probe_is_found(source: str, count: int) -> None:
    assert len(probes(source, "lab/example.py", builder_classes())) == count
