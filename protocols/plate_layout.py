"""Culture and assay plate layouts: replicates, controls and seeded randomized positions.

Each sample (a construct) takes ``replicates`` wells; every plate also gets
its controls (an empty-vector strain, a reference strain, medium blanks), so
each plate can be normalized on its own. Positions are shuffled with the
seed, so plate position effects (edge evaporation, gradients) spread over the
designs instead of biasing some, and equal inputs give equal layouts. With
``avoid_edges`` the outer wells hold medium only (a common evaporation guard).
When the wells run out, the next plate is used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from protocols.errors import ProtocolError

Role = Literal["sample", "empty_vector", "reference", "blank"]
ROWS = "ABCDEFGH"
COLUMNS = 12
DEFAULT_CONTROLS: Mapping[str, tuple[Role, int]] = {
    "empty_vector": ("empty_vector", 2),
    "reference": ("reference", 2),
    "blank": ("blank", 2),
}


@dataclass(frozen=True)
class WellAssignment:
    """What one well of one plate holds."""

    plate: int
    well: str
    sample: str
    role: Role
    replicate: int


@dataclass(frozen=True)
class LayoutSettings:
    """How to lay samples out."""

    replicates: int = 3
    controls: Mapping[str, tuple[Role, int]] = field(default_factory=lambda: dict(DEFAULT_CONTROLS))
    """Control name → (role, wells per plate)."""
    avoid_edges: bool = False
    seed: int = 0


def plate_wells(avoid_edges: bool) -> list[str]:
    """Usable wells of a 96-well plate, row by row."""
    wells = []
    for r, row in enumerate(ROWS):
        for column in range(1, COLUMNS + 1):
            edge = r in (0, len(ROWS) - 1) or column in (1, COLUMNS)
            if not (avoid_edges and edge):
                wells.append(f"{row}{column}")
    return wells


def layout_plates(samples: Sequence[str], settings: LayoutSettings) -> list[WellAssignment]:
    """Assign every replicate of every sample, plus each plate's controls, to wells.

    Raises:
        ProtocolError: No samples, a sample named twice, fewer than one
            replicate, or controls that leave no room for samples.
    """
    if not samples:
        raise ProtocolError("a plate layout needs at least one sample")
    repeated = sorted({s for s in samples if list(samples).count(s) > 1})
    if repeated:
        raise ProtocolError(f"samples named more than once: {', '.join(repeated)}")
    if settings.replicates < 1:
        raise ProtocolError("replicates must be at least 1")
    wells = plate_wells(settings.avoid_edges)
    controls = [
        (name, role, i + 1) for name, (role, n) in settings.controls.items() for i in range(n)
    ]
    room = len(wells) - len(controls)
    if room < settings.replicates:
        raise ProtocolError(
            f"{len(controls)} control wells leave {room} of {len(wells)} wells per plate; "
            f"{settings.replicates} replicates of a sample do not fit"
        )
    per_plate = room // settings.replicates  # a sample's replicates stay on one plate
    rng = np.random.default_rng(settings.seed)
    out: list[WellAssignment] = []
    for plate, start in enumerate(range(0, len(samples), per_plate), start=1):
        chunk = samples[start : start + per_plate]
        contents: list[tuple[str, Role, int]] = [
            (s, "sample", r + 1) for s in chunk for r in range(settings.replicates)
        ]
        contents += controls
        order = rng.permutation(len(wells))[: len(contents)]
        out += [
            WellAssignment(plate, wells[int(w)], name, role, replicate)
            for (name, role, replicate), w in zip(contents, order, strict=True)
        ]
    return out


def wells_of(layout: Sequence[WellAssignment], sample: str) -> list[tuple[int, str]]:
    """(plate, well) of every replicate of ``sample``."""
    return [(a.plate, a.well) for a in layout if a.sample == sample]
