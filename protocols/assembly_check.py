"""Pre-flight of Golden Gate constructs: simulate each assembly on the parts' sequences.

Before a construct can be approved, two checks run on its parts:

1. the sequence rules, which name the culprit: every part carries exactly
   two BsaI sites (one each way) flanking its insert — a third, internal site
   would cut the part apart — and the overhangs chain: each part's 3′ overhang
   is the next part's 5′ overhang, around the circle back to the backbone,
   with no overhang used twice;
2. the assembly itself, simulated with DNA Cauldron's type-2S restriction
   assembly (BsaI) on the sequences: it must give exactly one circular
   construct that uses every part.

A refused construct raises :class:`AssemblyRefused` with the part and
overhang named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from planner.pathway.design import Construct
from planner.pathway.parts import Part, PartsLibrary
from protocols.errors import ProtocolError

BSAI_SITE = "GGTCTC"
BSAI_SITE_REVERSE = "GAGACC"


class AssemblyRefused(ProtocolError):
    """A construct cannot assemble; the message names the construct, part and overhang."""


@dataclass(frozen=True)
class AssemblyResult:
    """A construct that passed pre-flight, with its simulated sequence."""

    construct: Construct
    sequence: str

    @property
    def length_bp(self) -> int:
        """Length of the assembled plasmid."""
        return len(self.sequence)


def site_positions(sequence: str) -> list[tuple[int, str]]:
    """Positions (0-based) and orientation (``+``/``-``) of BsaI sites in a linear sequence."""
    hits = [(i, "+") for i in _find_all(sequence, BSAI_SITE)]
    hits += [(i, "-") for i in _find_all(sequence, BSAI_SITE_REVERSE)]
    return sorted(hits)


def excised_overhangs(part: Part) -> tuple[str, str]:
    """The 5′ and 3′ overhangs BsaI leaves on the part's insert.

    Raises:
        AssemblyRefused: Not exactly one site each way, flanking the insert
            (an internal site is reported with its position).
    """
    sites = site_positions(part.sequence)
    forward = [i for i, s in sites if s == "+"]
    reverse = [i for i, s in sites if s == "-"]
    if len(sites) > 2:
        internal = [i for i, _ in sites[1:-1]] or [sites[-1][0]]
        raise AssemblyRefused(
            f"part {part.id} has an internal BsaI site at bp {internal[0] + 1} "
            f"({len(sites)} sites in all); domesticate it (silent mutation) first"
        )
    if len(forward) != 1 or len(reverse) != 1 or forward[0] > reverse[0]:
        raise AssemblyRefused(
            f"part {part.id} needs a BsaI site (GGTCTC) before its insert and one "
            f"(GAGACC) after it; found {len(forward)} and {len(reverse)}"
        )
    start, end = forward[0] + 7, reverse[0] - 1  # GGTCTC N ^ NNNN ... NNNN N GAGACC
    if end - start < 8:
        raise AssemblyRefused(f"part {part.id}: its BsaI sites leave no insert")
    return part.sequence[start : start + 4], part.sequence[end - 4 : end]


def check_chain(construct: Construct, library: PartsLibrary) -> list[tuple[str, str]]:
    """Check the construct's overhangs chain in a circle; return each part's (5′, 3′).

    Raises:
        AssemblyRefused: An internal site, a declared overhang that differs from
            the sequence's, a break in the chain or an overhang used twice.
    """
    parts = [library.get(p) for p in construct.part_ids]
    ends: list[tuple[str, str]] = []
    for part in parts:
        five, three = (
            excised_overhangs(part) if part.sequence else (part.overhang_5, part.overhang_3)
        )
        if five is None or three is None:
            raise AssemblyRefused(f"part {part.id} has neither a sequence nor overhangs")
        for declared, found, side in (
            (part.overhang_5, five, "5'"),
            (part.overhang_3, three, "3'"),
        ):
            if declared is not None and declared != found:
                raise AssemblyRefused(
                    f"part {part.id}: declared {side} overhang {declared} but its sequence "
                    f"leaves {found}"
                )
        ends.append((five, three))
    for i, (part, (_, three)) in enumerate(zip(parts, ends, strict=True)):
        after = parts[(i + 1) % len(parts)]
        if three != ends[(i + 1) % len(parts)][0]:
            raise AssemblyRefused(
                f"construct {construct.name}: overhang {three} after part {part.id} does not "
                f"join part {after.id}, which starts with {ends[(i + 1) % len(parts)][0]}"
            )
    starts = [five for five, _ in ends]
    clash = next((o for o in starts if starts.count(o) > 1), None)
    if clash is not None:
        users = [p.id for p, (five, _) in zip(parts, ends, strict=True) if five == clash]
        raise AssemblyRefused(
            f"construct {construct.name}: overhang {clash} is used twice "
            f"(parts {', '.join(users)}), so the parts can join in more than one order"
        )
    return ends


def preflight(construct: Construct, library: PartsLibrary) -> AssemblyResult:
    """Check a construct's sequences and simulate its assembly.

    Raises:
        AssemblyRefused: Naming the part and overhang, or the simulation's flaw.
    """
    check_chain(construct, library)
    records = _simulate(construct, library)
    if len(records) != 1:
        raise AssemblyRefused(
            f"construct {construct.name}: the simulated BsaI assembly gives "
            f"{len(records)} constructs, not one"
        )
    return AssemblyResult(construct, str(records[0].seq))


def preflight_all(constructs: Sequence[Construct], library: PartsLibrary) -> list[AssemblyResult]:
    """Pre-flight every construct (the first refusal stops, naming its construct)."""
    return [preflight(c, library) for c in constructs]


def _simulate(construct: Construct, library: PartsLibrary) -> list[Any]:
    import dnacauldron as dc
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    records = {}
    for part_id in dict.fromkeys(construct.part_ids):
        record = SeqRecord(Seq(library.get(part_id).sequence), id=part_id, name=part_id)
        record.annotations = {"topology": "linear", "molecule_type": "DNA"}
        records[part_id] = record
    repository = dc.SequenceRepository(collections={"parts": records})
    assembly = dc.Type2sRestrictionAssembly(
        parts=list(construct.part_ids), enzyme="BsaI", name=construct.name or "construct"
    )
    simulation = assembly.simulate(sequence_repository=repository)
    if simulation.errors:
        flaw = simulation.errors[0]
        raise AssemblyRefused(
            f"construct {construct.name}: simulated assembly fails: {flaw.message} {flaw.data}"
        )
    return list(simulation.construct_records)


def _find_all(sequence: str, motif: str) -> list[int]:
    out, start = [], sequence.find(motif)
    while start != -1:
        out.append(start)
        start = sequence.find(motif, start + 1)
    return out
