"""Genetic design spaces for pathway DBTL: parts, constructs, first-cycle designs."""

from planner.pathway.design import NO_PROMOTER, Construct, PathwaySpace
from planner.pathway.doe import orthogonal_array, reduced_library
from planner.pathway.parts import Part, PartsFileError, PartsLibrary, parse_parts_csv

__all__ = [
    "NO_PROMOTER",
    "Construct",
    "Part",
    "PartsFileError",
    "PartsLibrary",
    "PathwaySpace",
    "orthogonal_array",
    "parse_parts_csv",
    "reduced_library",
]
