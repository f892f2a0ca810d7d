"""Small pathway libraries shared by the pathway tests."""

from __future__ import annotations

from planner.pathway.design import PathwaySpace
from planner.pathway.parts import PartsLibrary, parse_parts_csv
from simulators.pathway.library import example_parts_csv

GENES = ("crtE", "crtB", "crtI", "crtY")


def small_library() -> PartsLibrary:
    """Four genes, two promoters and two RBSs each, two backbones."""
    text = example_parts_csv(
        promoters={"weak": 0.1, "strong": 1.0},
        rbs={"weak": 0.2, "strong": 1.0},
        backbones={"pSC101": 5.0, "p15A": 15.0},
    )
    return parse_parts_csv(text)


def small_space(**options: object) -> PathwaySpace:
    """The design space of :func:`small_library` (2⁸ × 2 = 512 designs)."""
    return PathwaySpace(small_library(), GENES, **options)  # type: ignore[arg-type]
