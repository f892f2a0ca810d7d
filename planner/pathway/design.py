"""Genetic design spaces: genes × promoter/RBS levels, optional order and copy number.

A pathway of N genes is built as transcription units (promoter, RBS, CDS,
terminator) on a backbone (the origin sets the copy number). Each gene picks
a promoter and an RBS from its allowed parts; with ``allow_operon`` a gene
after the first may take no promoter (``none``): it is then transcribed from
the upstream promoter, in one operon, and the upstream terminator is left out.
Optionally the gene order is a choice too, and the backbone (copy number).

The space is an ordinary :class:`~planner.space.SearchSpace`: promoters, RBSs
and backbones are ordinal parameters whose levels are part ids sorted by
strength (so a model sees their rank), the order is a categorical parameter.
Exclusions are the space's; the cap on parts per construct filters the
candidate table, which :meth:`PathwaySpace.candidates` enumerates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import permutations, product
from typing import Any

import pandas as pd

from planner.candidates import CandidateSet
from planner.constraints import Exclusion
from planner.errors import InfeasibleSpaceError
from planner.parameters import CategoricalParameter, OrdinalParameter, Parameter
from planner.pathway.parts import Part, PartsFileError, PartsLibrary, by_strength
from planner.space import SearchSpace

NO_PROMOTER = "none"
"""Promoter level of a gene transcribed from the upstream promoter (operon)."""
ORDER = "gene_order"
BACKBONE = "backbone"
MAX_ENUMERATED = 200_000
"""Largest number of designs enumerated into a candidate table."""


@dataclass(frozen=True)
class Construct:
    """One pathway design as the parts it is assembled from, in order."""

    name: str
    part_ids: tuple[str, ...]

    def describe(self) -> str:
        """E.g. ``pJ23100 > B0034 > crtE > T1 | pSC101``."""
        return " > ".join(self.part_ids[1:]) + f" | {self.part_ids[0]}"


@dataclass(frozen=True)
class PathwaySpace:
    """The genetic design space of one pathway.

    Args:
        library: The parts.
        genes: CDS part ids, in the default order.
        promoters: Allowed promoter ids per gene (default: every promoter whose 3'
            overhang joins one of the gene's RBSs, or every promoter without overhangs).
        rbs: Allowed RBS ids per gene (default: every RBS whose 3' overhang joins
            the gene's CDS, or every RBS without overhangs).
        backbones: Allowed backbone ids; more than one makes copy number a choice
            (default: every backbone; there must be at least one).
        terminators: Terminator ids closing the transcription units, one per position
            (default: the library's terminators in file order; MoClo-style
            position-specific parts, since each leaves its position's overhang).
        vary_order: Make the gene order a choice.
        allow_operon: Let genes after the first take no promoter.
        max_parts: Cap on parts per construct (backbone included).
        exclusions: Combinations never to build (``{"crtE_promoter": ["pStrong"], ...}``).
    """

    library: PartsLibrary
    genes: tuple[str, ...]
    promoters: Mapping[str, Sequence[str]] = field(default_factory=dict)
    rbs: Mapping[str, Sequence[str]] = field(default_factory=dict)
    backbones: tuple[str, ...] = ()
    terminators: tuple[str, ...] = ()
    vary_order: bool = False
    allow_operon: bool = False
    max_parts: int | None = None
    exclusions: tuple[Mapping[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if not self.genes:
            raise PartsFileError("a pathway needs at least one gene")
        if len(set(self.genes)) != len(self.genes):
            raise PartsFileError(f"genes repeat: {', '.join(self.genes)}")
        for gene in self.genes:
            self.library.get(gene, "cds")
        unknown = sorted((set(self.promoters) | set(self.rbs)) - set(self.genes))
        if unknown:
            raise PartsFileError(f"levels given for unknown gene(s) {', '.join(unknown)}")
        self.backbone_parts()
        self.terminator_parts()
        if self.max_parts is not None and self.max_parts < 1:
            raise PartsFileError("max_parts must be positive")

    def promoter_parts(self, gene: str) -> list[Part]:
        """Allowed promoters of ``gene``, weakest first (by default: those that fit its RBSs)."""
        return self._levels(gene, self.promoters, "promoter")

    def rbs_parts(self, gene: str) -> list[Part]:
        """Allowed RBSs of ``gene``, weakest first (by default: those that fit its CDS)."""
        return self._levels(gene, self.rbs, "rbs")

    def backbone_parts(self) -> list[Part]:
        """Allowed backbones, lowest copy number first.

        Raises:
            PartsFileError: No backbone in the library, or an unknown one.
        """
        ids = self.backbones or tuple(p.id for p in self.library.of_type("backbone"))
        if not ids:
            raise PartsFileError("the parts library has no backbone")
        return by_strength([self.library.get(i, "backbone") for i in ids])

    def terminator_parts(self) -> list[Part]:
        """The terminator closing the transcription unit at each position.

        Raises:
            PartsFileError: Fewer terminators than genes, or an unknown one.
        """
        ids = self.terminators or tuple(p.id for p in self.library.of_type("terminator"))
        if len(ids) < len(self.genes):
            raise PartsFileError(
                f"{len(self.genes)} genes need {len(self.genes)} terminators (one per "
                f"position); the library has {len(ids)}"
            )
        return [self.library.get(i, "terminator") for i in ids[: len(self.genes)]]

    def _levels(self, gene: str, given: Mapping[str, Sequence[str]], type_: Any) -> list[Part]:
        if given.get(gene):
            return by_strength([self.library.get(i, type_) for i in given[gene]])
        parts = self.library.of_type(type_)
        joins = self._downstream_overhangs(gene, type_)
        if joins is not None:  # only the parts whose 3' overhang joins the next part
            parts = [p for p in parts if p.overhang_3 is None or p.overhang_3 in joins]
        if not parts:
            raise PartsFileError(f"the parts library has no {type_} that fits gene {gene}")
        return by_strength(parts)

    def _downstream_overhangs(self, gene: str, type_: Any) -> set[str] | None:
        """The 5' overhangs of the parts that may follow a ``type_`` part of ``gene``."""
        if type_ == "rbs":
            overhang = self.library.get(gene, "cds").overhang_5
            return None if overhang is None else {overhang}
        following = {p.overhang_5 for p in self.rbs_parts(gene)}
        return None if None in following else {o for o in following if o is not None}

    def search_space(self) -> SearchSpace:
        """The space the planner searches (exclusions included, the parts cap not)."""
        parameters: list[Parameter] = []
        for index, gene in enumerate(self.genes):
            levels = [p.id for p in self.promoter_parts(gene)]
            if self.allow_operon and (index > 0 or self.vary_order):
                levels = [NO_PROMOTER, *levels]
            parameters.append(OrdinalParameter(name=f"{gene}_promoter", levels=tuple(levels)))
            rbs = tuple(p.id for p in self.rbs_parts(gene))
            parameters.append(OrdinalParameter(name=f"{gene}_rbs", levels=rbs))
        backbones = tuple(p.id for p in self.backbone_parts())
        if len(backbones) > 1:
            parameters.append(OrdinalParameter(name=BACKBONE, levels=backbones))
        if self.vary_order and len(self.genes) > 1:
            orders = tuple("-".join(p) for p in permutations(self.genes))
            parameters.append(CategoricalParameter(name=ORDER, choices=orders))
        exclusions = tuple(Exclusion.model_validate({"when": dict(e)}) for e in self.exclusions)
        return SearchSpace(parameters=tuple(parameters), exclusions=exclusions)

    def gene_order(self, design: Mapping[str, Any]) -> tuple[str, ...]:
        """The genes of ``design`` in construct order."""
        if ORDER in design:
            return tuple(str(design[ORDER]).split("-"))
        return self.genes

    def construct(self, design: Mapping[str, Any], name: str = "") -> Construct:
        """The parts of ``design`` in assembly order, the backbone first.

        Raises:
            PartsFileError: The first gene has no promoter (nothing transcribes it).
        """
        backbone = str(design.get(BACKBONE, self.backbone_parts()[0].id))
        terminators = [p.id for p in self.terminator_parts()]
        order = self.gene_order(design)
        parts: list[str] = [backbone]
        for index, gene in enumerate(order):
            promoter = str(design[f"{gene}_promoter"])
            if promoter == NO_PROMOTER:
                if index == 0:
                    raise PartsFileError(f"the first gene ({gene}) needs a promoter")
                parts.pop()  # the upstream terminator: one operon
            else:
                parts.append(promoter)
            parts += [str(design[f"{gene}_rbs"]), gene, terminators[index]]
        return Construct(name, tuple(parts))

    def parts_count(self, design: Mapping[str, Any]) -> int:
        """How many parts the construct of ``design`` has (backbone included)."""
        return len(self.construct(design).part_ids)

    def allows(self, design: Mapping[str, Any]) -> bool:
        """Whether ``design`` is buildable: a promoter first and within the parts cap."""
        first = self.gene_order(design)[0]
        if design[f"{first}_promoter"] == NO_PROMOTER:
            return False
        return self.max_parts is None or self.parts_count(design) <= self.max_parts

    def candidates(self, limit: int = MAX_ENUMERATED) -> CandidateSet:
        """Every buildable design as a candidate table.

        Raises:
            InfeasibleSpaceError: More than ``limit`` designs, or none left by the cap.
        """
        space = self.search_space()
        size = space.discrete_size()
        if size > limit:
            raise InfeasibleSpaceError(
                f"the pathway space has {size} designs, more than {limit} to enumerate; "
                "allow fewer levels per gene or fix the order"
            )
        levels = [_levels(p) for p in space.parameters]
        rows = [dict(zip(space.names, combo, strict=True)) for combo in product(*levels)]
        rows = [r for r in rows if self.allows(r) and space.exclusion_hit(r) is None]
        if not rows:
            raise InfeasibleSpaceError(
                f"no design has at most {self.max_parts} parts; raise max_parts"
            )
        return CandidateSet(space, pd.DataFrame(rows, columns=space.names))

    def expression(self, design: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
        """Per gene: (transcription strength, RBS strength), with operon read-through.

        A gene without a promoter takes the strength of the upstream promoter.
        """
        out: dict[str, tuple[float, float]] = {}
        upstream = 0.0
        for gene in self.gene_order(design):
            promoter = str(design[f"{gene}_promoter"])
            if promoter != NO_PROMOTER:
                upstream = self.library.get(promoter).strength or 0.0
            out[gene] = (upstream, self.library.get(str(design[f"{gene}_rbs"])).strength or 0.0)
        return out

    def copy_number(self, design: Mapping[str, Any]) -> float:
        """Copy number of the design's backbone."""
        backbone = str(design.get(BACKBONE, self.backbone_parts()[0].id))
        return self.library.get(backbone, "backbone").strength or 1.0


def _levels(parameter: object) -> Sequence[Any]:
    """The discrete values of a pathway parameter (ordinal levels or categorical choices)."""
    if isinstance(parameter, OrdinalParameter):
        return list(parameter.levels)
    choices = getattr(parameter, "choices", None)
    if choices is None:
        raise InfeasibleSpaceError(
            f"parameter {getattr(parameter, 'name', parameter)!r} is continuous; "
            "a pathway space enumerates only discrete levels"
        )
    return list(choices)
