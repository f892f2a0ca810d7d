"""Inoculating culture plates from a Golden Gate batch: what goes into every culture well.

After the assembly and the in-block transformation, each construct's
outgrowth (in its reaction well) inoculates its replicate wells of the
culture plates; the control strains (empty vector, reference) come from
their reservoir wells; blanks get medium only. The layout
(:mod:`protocols.plate_layout`) decides the positions: replicates, controls
and a seeded shuffle. Pure data, compiled by :mod:`protocols.golden_gate_ot`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from protocols.errors import ProtocolError
from protocols.plate_layout import WellAssignment

CONTROL_WELLS = {"empty_vector": "A5", "reference": "A6"}
"""Reservoir wells of the control strains' overnight cultures."""
MEDIUM_WELLS = ("A7", "A8", "A9", "A10", "A11", "A12")
"""Reservoir wells of selective medium, one per culture plate."""


@dataclass(frozen=True)
class Inoculation:
    """One culture well: its inoculum's source (``None`` for a blank) and what it holds."""

    well: str
    source: tuple[str, str] | None
    """(``reaction``, reaction well) or (``reservoir``, reservoir well)."""
    sample: str
    role: str
    replicate: int


@dataclass(frozen=True)
class CulturePlate:
    """One culture plate's wells."""

    label: str
    wells: tuple[Inoculation, ...]


@dataclass(frozen=True)
class CulturePlan:
    """The culture plates of a batch, and the volumes of medium and inoculum."""

    plates: tuple[CulturePlate, ...]
    medium_ul: float = 150.0
    inoculum_ul: float = 10.0

    def wells_of(self, sample: str) -> list[str]:
        """``<plate label>/<well>`` of every well of ``sample``."""
        return [f"{p.label}/{w.well}" for p in self.plates for w in p.wells if w.sample == sample]


def culture_label(plate: int) -> str:
    """Deck label of culture plate number ``plate`` (1-based)."""
    return f"culture_{plate}"


def plan_culture(
    layout: Sequence[WellAssignment],
    reaction_wells: Mapping[str, str],
    medium_ul: float = 150.0,
    inoculum_ul: float = 10.0,
) -> CulturePlan:
    """Turn a layout into inoculations.

    Args:
        layout: Well assignments (samples are construct names).
        reaction_wells: Construct name → its reaction well.
        medium_ul: Selective medium per well.
        inoculum_ul: Inoculum per (non-blank) well.

    Raises:
        ProtocolError: A sample without a reaction well, or more plates than medium wells.
    """
    numbers = sorted({a.plate for a in layout})
    if len(numbers) > len(MEDIUM_WELLS):
        raise ProtocolError(
            f"{len(numbers)} culture plates need more medium than the reservoir's "
            f"{len(MEDIUM_WELLS)} medium wells; run fewer constructs per batch"
        )
    plates = []
    for number in numbers:
        wells = []
        for a in sorted((a for a in layout if a.plate == number), key=lambda a: _order(a.well)):
            if a.role == "sample":
                if a.sample not in reaction_wells:
                    raise ProtocolError(f"sample {a.sample!r} has no reaction well")
                source: tuple[str, str] | None = ("reaction", reaction_wells[a.sample])
            elif a.role in CONTROL_WELLS:
                source = ("reservoir", CONTROL_WELLS[a.role])
            else:
                source = None
            wells.append(Inoculation(a.well, source, a.sample, a.role, a.replicate))
        plates.append(CulturePlate(culture_label(number), tuple(wells)))
    return CulturePlan(tuple(plates), medium_ul, inoculum_ul)


def _order(well: str) -> tuple[int, int]:
    return int(well[1:]), "ABCDEFGHIJKLMNOP".index(well[0])
