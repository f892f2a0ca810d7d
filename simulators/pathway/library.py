"""A synthetic but assembly-correct parts library for the simulated pathway lab.

Each part is written as ordered for Golden Gate with BsaI: ``GGTCTC A`` +
5′ overhang + body + 3′ overhang + ``T GAGACC``. Overhangs are
position-specific (MoClo style): the promoter of gene 2 leaves the overhang
that the terminator of gene 1 leaves, and so on around the backbone, so any
choice of levels chains. Bodies are seeded random DNA free of BsaI sites,
with realistic lengths. The text is a parts file (:mod:`planner.pathway.parts`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from itertools import product

import numpy as np

BSAI_SITE = "GGTCTC"
BSAI_SITE_REVERSE = "GAGACC"
_COMPLEMENT = str.maketrans("ACGT", "TGCA")

DEFAULT_GENES = ("crtE", "crtB", "crtI", "crtY")
DEFAULT_PROMOTERS = {"weak": 0.08, "medium": 0.3, "strong": 1.0}
DEFAULT_RBS = {"weak": 0.1, "medium": 0.4, "strong": 1.0}
DEFAULT_BACKBONES = {"pSC101": 5.0, "p15A": 15.0, "pBR322": 25.0}


def reverse_complement(sequence: str) -> str:
    """The reverse complement of a DNA sequence."""
    return sequence.translate(_COMPLEMENT)[::-1]


def overhang_set(count: int) -> list[str]:
    """``count`` four-base overhangs: non-palindromic, no two within one base of each other.

    Raises:
        ValueError: More overhangs asked for than the rule allows.
    """
    chosen: list[str] = []
    for bases in product("ACGT", repeat=4):
        candidate = "".join(bases)
        if candidate == reverse_complement(candidate) or len(set(candidate)) < 2:
            continue
        others = chosen + [reverse_complement(c) for c in chosen]
        if all(sum(a != b for a, b in zip(candidate, o, strict=True)) >= 2 for o in others):
            chosen.append(candidate)
        if len(chosen) == count:
            return chosen
    raise ValueError(f"cannot choose {count} distinct overhangs")


def random_body(length_bp: int, rng: np.random.Generator) -> str:
    """Random DNA of ``length_bp`` without a BsaI site in either orientation."""
    while True:
        body = "".join(rng.choice(list("ACGT"), size=length_bp))
        if BSAI_SITE not in body and BSAI_SITE_REVERSE not in body:
            return body


def flanked(overhang_5: str, body: str, overhang_3: str) -> str:
    """A part as ordered: BsaI site, spacer, overhang, body, overhang, spacer, reversed site."""
    return f"{BSAI_SITE}A{overhang_5}{body}{overhang_3}T{BSAI_SITE_REVERSE}"


def example_parts_csv(
    genes: Sequence[str] = DEFAULT_GENES,
    promoters: Mapping[str, float] = DEFAULT_PROMOTERS,
    rbs: Mapping[str, float] = DEFAULT_RBS,
    backbones: Mapping[str, float] = DEFAULT_BACKBONES,
    seed: int = 14,
) -> str:
    """A parts file for ``genes`` with per-position promoters, RBSs and terminators."""
    rng = np.random.default_rng(seed)
    slots = overhang_set(4 * len(genes) + 1)
    rows: list[dict[str, object]] = []

    def add(part_id: str, type_: str, strength: float | None, o5: str, o3: str, n: int) -> None:
        sequence = flanked(o5, random_body(n, rng), o3)
        fmol_per_ul = float(rng.uniform(12.5, 20))  # a working stock: 20 fmol in 1-1.6 µL
        rows.append(
            {
                "id": part_id,
                "type": type_,
                "strength": "" if strength is None else strength,
                "sequence": sequence,
                "overhang_5": o5,
                "overhang_3": o3,
                "concentration_ng_ul": round(len(sequence) * 650e-6 * fmol_per_ul, 3),
            }
        )

    for backbone, copies in backbones.items():
        add(backbone, "backbone", copies, slots[-1], slots[0], 2400)
    for g, gene in enumerate(genes):
        o = slots[4 * g : 4 * g + 5]
        for level, strength in promoters.items():
            add(f"P{g + 1}_{level}", "promoter", strength, o[0], o[1], 45)
        for level, strength in rbs.items():
            add(f"R{g + 1}_{level}", "rbs", strength, o[1], o[2], 24)
        add(gene, "cds", None, o[2], o[3], int(rng.integers(900, 1500)))
        add(f"T{g + 1}", "terminator", None, o[3], o[4], 60)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
