"""``lab/`` is a house of rooms: every module lives in one, and rooms import only the rooms below.

The order, lowest first, is the order a newcomer reads them in: what a campaign
file says (``specs``), which devices a lab has (``devices``), how a design
becomes device steps (``builders``), how a campaign runs (``running``), what a
person decides and reads (``review``), what leaves the lab (``export``), the one
service layer (``services``), ``dbtl bench`` (``bench``), and the two front ends
(``web``, ``cli``).
"""

from __future__ import annotations

import pytest

from tests.architecture.import_graph import ROOT, import_graph

LAB_ROOMS = (
    "specs",
    "devices",
    "builders",
    "running",
    "review",
    "export",
    "services",
    "bench",
    "web",
    "cli",
)


def room_of(module: str) -> str | None:
    """``lab.running.loop`` → ``running``; ``lab`` itself is in no room."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_module_of_lab_is_in_a_room() -> None:
    loose = sorted(p.name for p in (ROOT / "lab").glob("*.py") if p.name != "__init__.py")
    assert loose == [], f"move {loose} into one of {LAB_ROOMS}"
    rooms = sorted(p.name for p in (ROOT / "lab").iterdir() if (p / "__init__.py").exists())
    assert rooms == sorted(LAB_ROOMS)


def upward_imports() -> list[tuple[str, str]]:
    """Every (importer, imported) pair where a room imports a room above it."""
    rank = {room: i for i, room in enumerate(LAB_ROOMS)}
    found = []
    for module, targets in import_graph("lab").items():
        here = room_of(module)
        for target in targets:
            there = room_of(target)
            if here and there and rank[there] > rank[here]:
                found.append((module, target))
    return sorted(found)


def test_rooms_import_only_rooms_below_them() -> None:
    assert upward_imports() == []


@pytest.mark.parametrize("room", LAB_ROOMS)
def test_each_room_has_a_docstring_that_says_what_it_holds(room: str) -> None:
    text = (ROOT / "lab" / room / "__init__.py").read_text()
    assert text.lstrip().startswith('"""'), f"lab/{room}/__init__.py needs a docstring"
