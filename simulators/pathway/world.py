"""A simulated pathway lab: designs are built (or fail to), grown in plate wells and assayed.

:class:`PathwayWorld` ties a genetic design space to the kinetic model:

- expression: each enzyme's per-cell level is ``level_per_unit × promoter ×
  RBS × copy number`` (a gene read through from an upstream promoter in an
  operon loses ``operon_attenuation`` per position);
- truth: the noiseless end-of-culture titer and OD600 of a design (house
  rule 12), and the known optimum over every buildable design;
- build: an assembly fails with probability ``failure_rate`` (a failed
  build is reported as such, never as a zero titer);
- observe: the titer of a well carries multiplicative log-normal assay noise
  (``noise_sd``, 15 % by default) and a plate position effect (edge wells
  evaporate and produce ``edge_loss`` less; a gentle row gradient).

Every random draw is keyed by ``(seed, key)``, so a recalled measurement is
the one first made, and equal campaigns measure equal values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from planner.pathway.design import PathwaySpace
from simulators.pathway.kinetics import Matrix, PathwayKinetics, simulate

ROWS = "ABCDEFGH"
COLUMNS = 12


@dataclass(frozen=True)
class WellReading:
    """What the plate reader reports for one well."""

    titer_mg_l: float
    od600: float


class BuildFailure(Exception):
    """A construct did not assemble (no correct clone); the message says why."""


@dataclass(frozen=True)
class PathwayWorld:
    """A pathway design space made physical by the kinetic model."""

    space: PathwaySpace
    kinetics: PathwayKinetics = field(default_factory=PathwayKinetics)
    level_per_unit: float = 0.4
    operon_attenuation: float = 0.7
    noise_sd: float = 0.15
    od_noise_sd: float = 0.05
    failure_rate: float = 0.05
    edge_loss: float = 0.12
    row_gradient: float = 0.04
    seed: int = 0

    def __post_init__(self) -> None:
        if len(self.space.genes) != self.kinetics.n_enzymes:
            raise ValueError(
                f"the pathway has {len(self.space.genes)} genes; the kinetic model "
                f"{self.kinetics.n_enzymes} enzymes"
            )

    def enzyme_levels(self, designs: Sequence[Mapping[str, Any]]) -> Matrix:
        """Per-cell enzyme levels of each design, in the genes' declared order."""
        out = np.empty((len(designs), len(self.space.genes)))
        for row, design in enumerate(designs):
            expression = self.space.expression(design)
            copies = self.space.copy_number(design)
            position = 0
            for gene in self.space.gene_order(design):
                position = position + 1 if design[f"{gene}_promoter"] == "none" else 0
                promoter, rbs = expression[gene]
                attenuation = self.operon_attenuation**position
                column = self.space.genes.index(gene)
                out[row, column] = self.level_per_unit * promoter * rbs * copies * attenuation
        return out

    def truth(self, designs: Sequence[Mapping[str, Any]]) -> list[WellReading]:
        """Noiseless titer and OD600 of each design (a perfect build, a centre well)."""
        result = simulate(self.kinetics, self.enzyme_levels(designs))
        return [
            WellReading(float(t), float(o))
            for t, o in zip(result.titer_mg_l, result.od600, strict=True)
        ]

    @cached_property
    def optimum(self) -> tuple[dict[str, Any], float]:
        """The buildable design with the highest true titer, and that titer (mg/L)."""
        rows = self.space.candidates().rows()
        titers = self.all_titers
        best = int(np.argmax(titers))
        return dict(rows[best]), float(titers[best])

    @cached_property
    def all_titers(self) -> Matrix:
        """True titer of every buildable design, in candidate-table order."""
        rows = self.space.candidates().rows()
        chunks = [
            simulate(self.kinetics, self.enzyme_levels(rows[i : i + 2000])).titer_mg_l
            for i in range(0, len(rows), 2000)
        ]
        return np.concatenate(chunks)

    def build(self, design: Mapping[str, Any], key: str) -> None:
        """Assemble the construct of ``design``.

        Raises:
            BuildFailure: With the probability ``failure_rate`` (keyed by ``key``).
        """
        if self._rng("build", key).random() < self.failure_rate:
            construct = self.space.construct(design)
            raise BuildFailure(
                f"assembly of {construct.describe()} gave no correct clone "
                "(colony PCR: wrong insert size)"
            )

    def observe(self, design: Mapping[str, Any], well: str, key: str) -> WellReading:
        """A noisy plate-reader measurement of ``design`` grown in ``well``."""
        return self.noisy(self.truth([design])[0], well, key)

    def noisy(self, true: WellReading, well: str, key: str) -> WellReading:
        """What the plate reader reports of a well whose noiseless reading is ``true``."""
        rng = self._rng("assay", key)
        position = self.position_factor(well)
        titer = true.titer_mg_l * position * float(np.exp(rng.normal(0.0, self.noise_sd)))
        od = true.od600 * float(np.exp(rng.normal(0.0, self.od_noise_sd)))
        return WellReading(titer, od)

    def position_factor(self, well: str) -> float:
        """Multiplier of a well's titer: edge wells lose ``edge_loss``; rows drift linearly."""
        row, column = ROWS.index(well[0].upper()), int(well[1:])
        edge = row in (0, len(ROWS) - 1) or column in (1, COLUMNS)
        drift = 1.0 + self.row_gradient * (row / (len(ROWS) - 1) - 0.5)
        return (1.0 - self.edge_loss if edge else 1.0) * drift

    def _rng(self, purpose: str, key: str) -> np.random.Generator:
        digest = hashlib.sha256(f"{self.seed}|{purpose}|{key}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))
