"""Genetic parts and the parts file: pure parsing of text into validated records.

A parts file is a CSV with one part per row::

    id,type,strength,sequence,overhang_5,overhang_3,concentration_ng_ul
    pJ23100,promoter,1.0,GGTCTCA...,GGAG,TACT,50

- ``type`` is one of ``promoter``, ``rbs``, ``cds``, ``terminator``, ``backbone``;
- ``strength`` is a relative strength (promoter, RBS) or a copy number
  (backbone); CDS and terminators may leave it empty;
- ``sequence`` is the DNA of the part as ordered (flanking BsaI sites
  included), or a FASTA record (``>name`` line then bases) written inline;
- ``overhang_5``/``overhang_3`` are the four-base Golden Gate overhangs the
  part leaves after digestion (optional: derived from the sequence's BsaI
  sites when left empty and a sequence is given);
- ``concentration_ng_ul`` is the stock concentration (optional, needed to
  compute equimolar volumes).

Nothing here reads files: callers pass the text, so the same parser serves the
CLI, the web upload and tests.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from planner.errors import PlannerError

PartType = Literal["promoter", "rbs", "cds", "terminator", "backbone"]
PART_TYPES: tuple[PartType, ...] = ("promoter", "rbs", "cds", "terminator", "backbone")
REQUIRED_COLUMNS = ("id", "type")
OPTIONAL_COLUMNS = (
    "strength",
    "sequence",
    "overhang_5",
    "overhang_3",
    "concentration_ng_ul",
    "description",
)
_DNA = re.compile(r"^[ACGTN]+$")
_OVERHANG = re.compile(r"^[ACGT]{4}$")


class PartsFileError(PlannerError):
    """A parts file (or a reference to a part) is wrong; the message names the row and column."""


@dataclass(frozen=True)
class Part:
    """One genetic part of the library."""

    id: str
    type: PartType
    strength: float | None = None
    """Relative strength (promoter, RBS) or copy number (backbone)."""
    sequence: str = ""
    overhang_5: str | None = None
    overhang_3: str | None = None
    concentration_ng_ul: float | None = None
    description: str = ""

    @property
    def length_bp(self) -> int:
        """Length of the sequence in base pairs (0 when no sequence is known)."""
        return len(self.sequence)


@dataclass(frozen=True)
class PartsLibrary:
    """Parts by id, with look-ups that fail with a clear message."""

    parts: tuple[Part, ...]

    def __post_init__(self) -> None:
        ids = [p.id for p in self.parts]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise PartsFileError(f"parts library repeats id(s) {', '.join(repeated)}")

    def get(self, part_id: str, type_: PartType | None = None) -> Part:
        """The part ``part_id`` (of type ``type_`` when given).

        Raises:
            PartsFileError: Unknown id, or a part of another type.
        """
        part = next((p for p in self.parts if p.id == part_id), None)
        if part is None:
            known = ", ".join(p.id for p in self.of_type(type_)) if type_ else ""
            hint = f"; known {type_} parts: {known}" if type_ else ""
            raise PartsFileError(f"unknown part {part_id!r}{hint}")
        if type_ is not None and part.type != type_:
            raise PartsFileError(f"part {part_id!r} is a {part.type}, not a {type_}")
        return part

    def of_type(self, type_: PartType) -> list[Part]:
        """The parts of one type, in file order."""
        return [p for p in self.parts if p.type == type_]

    def ids(self) -> list[str]:
        """Every part id, in file order."""
        return [p.id for p in self.parts]


def parse_parts_csv(text: str, source: str = "parts file") -> PartsLibrary:
    """Parse the text of a parts file.

    Args:
        text: CSV text (header row first).
        source: Name of the file, used in error messages.

    Raises:
        PartsFileError: Missing or unknown columns, an unknown type, a bad
            number, sequence or overhang, or a repeated id; the message names
            the row (1 = first data row) and column.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise PartsFileError(f"{source}: missing column(s) {', '.join(missing)}; has: {columns}")
    unknown = [c for c in columns if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if unknown:
        raise PartsFileError(
            f"{source}: unknown column(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}"
        )
    parts = [
        parse_part_record({k.strip(): v for k, v in row.items() if k}, f"{source} row {number}")
        for number, row in enumerate(reader, start=1)
    ]
    if not parts:
        raise PartsFileError(f"{source}: no parts (only a header)")
    return PartsLibrary(tuple(parts))


def parse_part_record(record: Mapping[str, str | None], where: str) -> Part:
    """One part from a record of strings (a CSV row or a form).

    Raises:
        PartsFileError: The message starts with ``where`` and names the column.
    """
    value = {k: (v or "").strip() for k, v in record.items()}
    part_id = value.get("id", "")
    if not part_id:
        raise PartsFileError(f"{where}: column 'id' is empty")
    type_ = value.get("type", "").lower()
    if type_ not in PART_TYPES:
        raise PartsFileError(
            f"{where} ({part_id}): type {value.get('type')!r} is not one of {', '.join(PART_TYPES)}"
        )
    where = f"{where} ({part_id})"
    sequence = parse_sequence(value.get("sequence", ""), where)
    strength = _number(value.get("strength", ""), "strength", where)
    if type_ in ("promoter", "rbs", "backbone") and strength is None:
        raise PartsFileError(f"{where}: a {type_} needs a strength (relative, or copy number)")
    return Part(
        id=part_id,
        type=type_,
        strength=strength,
        sequence=sequence,
        overhang_5=_overhang(value.get("overhang_5", ""), "overhang_5", where),
        overhang_3=_overhang(value.get("overhang_3", ""), "overhang_3", where),
        concentration_ng_ul=_number(value.get("concentration_ng_ul", ""), "concentration", where),
        description=value.get("description", ""),
    )


def parse_sequence(text: str, where: str) -> str:
    """Bases of a plain or inline-FASTA sequence, upper case, without whitespace.

    Raises:
        PartsFileError: A character that is not a base (IUPAC N allowed).
    """
    lines = [line.strip() for line in text.replace("\\n", "\n").splitlines()]
    bases = "".join(line for line in lines if line and not line.startswith(">"))
    bases = re.sub(r"\s+", "", bases).upper()
    if bases and not _DNA.match(bases):
        bad = sorted(set(bases) - set("ACGTN"))
        raise PartsFileError(f"{where}: sequence has non-DNA character(s) {''.join(bad)}")
    return bases


def _number(text: str, column: str, where: str) -> float | None:
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise PartsFileError(f"{where}: {column} {text!r} is not a number") from None
    if not math.isfinite(number) or number <= 0:
        raise PartsFileError(f"{where}: {column} must be a positive number, got {text}")
    return number


def _overhang(text: str, column: str, where: str) -> str | None:
    if not text:
        return None
    overhang = text.upper()
    if not _OVERHANG.match(overhang):
        raise PartsFileError(f"{where}: {column} {text!r} must be four bases (A, C, G, T)")
    return overhang


def check_distinct_levels(parts: Iterable[Part], what: str) -> None:
    """Refuse a level set where two parts share a strength (levels must be ordered).

    Raises:
        PartsFileError: Naming the two parts.
    """
    seen: dict[float, str] = {}
    for part in parts:
        assert part.strength is not None
        if part.strength in seen:
            raise PartsFileError(
                f"{what}: parts {seen[part.strength]!r} and {part.id!r} share strength "
                f"{part.strength:g}; give distinct strengths"
            )
        seen[part.strength] = part.id


def by_strength(parts: Sequence[Part]) -> list[Part]:
    """Parts sorted by ascending strength."""
    return sorted(parts, key=lambda p: p.strength or 0.0)
