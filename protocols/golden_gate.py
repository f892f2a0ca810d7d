"""Golden Gate assembly of a batch of constructs: equimolar volumes, master mix, water, program.

A :class:`GoldenGatePlan` is data: for each construct, the destination well
of the thermocycler plate and one :class:`PartDose` per part (the volume
that gives ``fmol_per_part`` femtomoles from the part's stock concentration
and length), the master-mix volume (buffer, BsaI-HFv2, T4 DNA ligase) and
the water to reach the reaction volume; plus the thermocycler program
(digestion–ligation cycles, final digestion, heat kill, hold) and, optionally,
a chemical transformation done in the same block. :mod:`protocols.golden_gate_ot`
compiles it for an OT-2 or a Flex.

Mass of a double-stranded DNA: 650 g/mol per base pair, so
``ng = fmol × length_bp × 650 × 1e-6``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from planner.pathway.design import Construct
from planner.pathway.parts import Part, PartsLibrary
from protocols.errors import ProtocolError

G_PER_MOL_PER_BP = 650.0
ROWS = "ABCDEFGH"


@dataclass(frozen=True)
class ThermalStep:
    """Hold the block at a temperature for a time."""

    temperature_c: float
    hold_s: float


@dataclass(frozen=True)
class ThermalProfile:
    """A block of steps repeated ``repetitions`` times."""

    steps: tuple[ThermalStep, ...]
    repetitions: int = 1


@dataclass(frozen=True)
class GoldenGateSettings:
    """Reaction recipe and liquid-handling limits."""

    fmol_per_part: float = 20.0
    reaction_volume_ul: float = 40.0
    master_mix_ul: float = 8.0
    """T4 DNA ligase buffer, BsaI-HFv2 and T4 DNA ligase, premixed."""
    min_transfer_ul: float = 1.0
    """Smallest volume the pipette moves accurately (P20: 1 µL)."""
    cycles: int = 30
    digest_c: float = 37.0
    ligate_c: float = 16.0
    step_s: float = 300.0
    lid_c: float = 105.0
    transformation: bool = False
    cells_ul: float = 20.0
    recovery_medium_ul: float = 30.0
    well_capacity_ul: float = 100.0
    """Largest volume of a PCR-plate well (and of the thermocycler's block)."""


@dataclass(frozen=True)
class PartDose:
    """One part's volume for one reaction."""

    part_id: str
    source_well: str
    volume_ul: float


@dataclass(frozen=True)
class Reaction:
    """One construct's reaction in one well of the thermocycler plate."""

    construct: Construct
    well: str
    parts: tuple[PartDose, ...]
    master_mix_ul: float
    water_ul: float


@dataclass(frozen=True)
class GoldenGatePlan:
    """A batch of reactions, the parts source plate and the thermocycler programs."""

    reactions: tuple[Reaction, ...]
    source_wells: Mapping[str, str]
    """Part id → well of the parts source plate."""
    assembly_program: tuple[ThermalProfile, ...]
    transformation_program: tuple[ThermalProfile, ...] = ()
    settings: GoldenGateSettings = field(default_factory=GoldenGateSettings)

    def total_volume_ul(self, part_id: str) -> float:
        """Volume of one part the whole batch uses."""
        return sum(d.volume_ul for r in self.reactions for d in r.parts if d.part_id == part_id)


def part_volume_ul(part: Part, fmol: float) -> float:
    """Volume of the part's stock holding ``fmol`` femtomoles.

    Raises:
        ProtocolError: The part lacks a concentration or a sequence length.
    """
    if part.concentration_ng_ul is None or part.length_bp == 0:
        raise ProtocolError(
            f"part {part.id} needs concentration_ng_ul and a sequence to dose it equimolar"
        )
    nanograms = fmol * part.length_bp * G_PER_MOL_PER_BP * 1e-6
    return nanograms / part.concentration_ng_ul


def well_names(count: int) -> list[str]:
    """The first ``count`` wells of a 96-well plate, column by column (A1, B1, …)."""
    if count > 96:
        raise ProtocolError(f"{count} reactions do not fit one 96-well plate")
    return [f"{ROWS[i % 8]}{i // 8 + 1}" for i in range(count)]


def plan_golden_gate(
    constructs: Sequence[Construct],
    library: PartsLibrary,
    settings: GoldenGateSettings | None = None,
) -> GoldenGatePlan:
    """Plan one reaction per construct.

    Raises:
        ProtocolError: Naming the construct and part: a dose below the
            pipette's minimum (dilute the stock), or parts and master mix beyond
            the reaction volume; or more than 96 constructs.
    """
    settings = settings or GoldenGateSettings()
    final_ul = settings.reaction_volume_ul
    if settings.transformation:
        final_ul += settings.cells_ul + settings.recovery_medium_ul
    if final_ul > settings.well_capacity_ul:
        raise ProtocolError(
            f"{final_ul:g} µL per well (reaction, cells, recovery medium) exceeds the "
            f"{settings.well_capacity_ul:g} µL well; lower cells_ul or recovery_medium_ul"
        )
    used = list(dict.fromkeys(p for c in constructs for p in c.part_ids))
    source = dict(zip(used, well_names(len(used)), strict=True))
    reactions = [
        _reaction(c, well, library, source, settings)
        for c, well in zip(constructs, well_names(len(constructs)), strict=True)
    ]
    return GoldenGatePlan(
        reactions=tuple(reactions),
        source_wells=source,
        assembly_program=assembly_program(settings),
        transformation_program=transformation_program(settings),
        settings=settings,
    )


def _reaction(
    construct: Construct,
    well: str,
    library: PartsLibrary,
    source: Mapping[str, str],
    settings: GoldenGateSettings,
) -> Reaction:
    doses = []
    for part_id in construct.part_ids:
        part = library.get(part_id)
        volume = round(part_volume_ul(part, settings.fmol_per_part), 2)
        if volume < settings.min_transfer_ul:
            most = part.concentration_ng_ul * volume / settings.min_transfer_ul  # type: ignore[operator]
            raise ProtocolError(
                f"construct {construct.name}: part {part_id} needs {volume:g} µL, below the "
                f"{settings.min_transfer_ul:g} µL minimum; dilute its stock to ≤ {most:.1f} ng/µL"
            )
        doses.append(PartDose(part_id, source[part_id], volume))
    water = settings.reaction_volume_ul - settings.master_mix_ul - sum(d.volume_ul for d in doses)
    if water < -1e-9:
        raise ProtocolError(
            f"construct {construct.name}: parts and master mix need "
            f"{settings.reaction_volume_ul - water:g} µL, more than the "
            f"{settings.reaction_volume_ul:g} µL reaction; use more concentrated stocks"
        )
    water = round(max(water, 0.0), 2)
    if 0 < water < settings.min_transfer_ul:
        raise ProtocolError(
            f"construct {construct.name}: {water:g} µL of water is below the "
            f"{settings.min_transfer_ul:g} µL minimum; raise reaction_volume_ul by 1 µL"
        )
    return Reaction(construct, well, tuple(doses), settings.master_mix_ul, water)


def assembly_program(settings: GoldenGateSettings) -> tuple[ThermalProfile, ...]:
    """Digestion–ligation cycles, a final digestion, heat kill and a 4 °C hold."""
    cycle = (
        ThermalStep(settings.digest_c, settings.step_s),
        ThermalStep(settings.ligate_c, settings.step_s),
    )
    return (
        ThermalProfile(cycle, settings.cycles),
        ThermalProfile((ThermalStep(60.0, 300.0), ThermalStep(80.0, 600.0))),
        ThermalProfile((ThermalStep(4.0, 60.0),)),
    )


def transformation_program(settings: GoldenGateSettings) -> tuple[ThermalProfile, ...]:
    """Chemical transformation in the block: on ice, heat shock, back on ice (empty if off)."""
    if not settings.transformation:
        return ()
    shock = (ThermalStep(4.0, 1800.0), ThermalStep(42.0, 45.0), ThermalStep(4.0, 120.0))
    return (ThermalProfile(shock),)


def recovery_program() -> tuple[ThermalProfile, ...]:
    """Outgrowth after adding recovery medium: 37 °C for an hour."""
    return (ThermalProfile((ThermalStep(37.0, 3600.0),)),)
