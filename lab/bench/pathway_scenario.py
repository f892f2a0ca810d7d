"""The pathway scenario of ``dbtl bench``: the example pathway campaign on the pathway world.

Each strategy and seed runs the design space of ``examples/pathway_dbtl.yaml``
(four genes, a promoter and an RBS of three strengths each, three backbones:
19,683 designs) with every construct pre-flighted as in the example, but each
design is built, grown in triplicate and assayed whole by a ``pathway_world``
station over the same kinetic model (build failures, 15 % assay noise,
position effects, dead wells), instead of a simulated robot run per plate:
the same loop, many times faster. The known optimum of the world over the
space is the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from lab.bench.scenarios import SIMULATORS, Criterion, _dump, campaign_name
from lab.bench.tables import Direction
from lab.devices.labfile import load_lab
from simulators.pathway.world import PathwayWorld

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CAMPAIGN = EXAMPLES / "pathway_dbtl.yaml"
STATION = "pathway_world"


@dataclass(frozen=True)
class PathwayScenario:
    """The example pathway campaign, run for each strategy and seed on a pathway-world station."""

    name: str = "pathway"
    objective: str = "titer_mg_l"
    direction: Direction = "maximize"

    @cached_property
    def _campaign(self) -> dict[str, object]:
        data = yaml.safe_load(CAMPAIGN.read_text(encoding="utf-8"))
        assert isinstance(data, dict)
        return data

    @cached_property
    def _lab_path(self) -> Path:
        return (CAMPAIGN.parent / str(self._campaign["lab"])).resolve()

    @cached_property
    def world(self) -> PathwayWorld:
        """The example lab's pathway world."""
        section = load_lab(self._lab_path).biofoundry
        assert section is not None  # the example lab has one
        return section.world()

    @cached_property
    def optimum_mg_l(self) -> float:
        """The world's best true titer over the space."""
        return self.world.optimum[1]

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """80 % of the known optimum (measured, so noise may reach it early or late)."""
        return (Criterion("80 % of the optimum", at_least={"titer_mg_l": 0.8 * self.optimum_mg_l}),)

    @property
    def reference(self) -> tuple[float, float] | None:
        """The known optimum and the worst true titer."""
        return (self.optimum_mg_l, float(np.min(self.world.all_titers)))

    @property
    def table_values(self) -> np.ndarray | None:
        """The true titer of every design (for the expectation of random sampling)."""
        return np.asarray(self.world.all_titers)

    def designs(self) -> int | None:
        """Every design of the space."""
        return len(self.world.all_titers)

    def write(self, folder: Path, strategy: str, seed: int, budget: int, batch: int) -> Path:
        """A lab with the pathway-world station, and the example campaign on it."""
        name = campaign_name(self.name, strategy, seed)
        source = yaml.safe_load(self._lab_path.read_text(encoding="utf-8"))
        section = dict(source["biofoundry"])
        section["parts_file"] = str((self._lab_path.parent / section["parts_file"]).resolve())
        lab = {
            "name": name,
            "description": "the example biofoundry's pathway world as one station",
            "biofoundry": section,
            "devices": [{"name": STATION, "kind": "station", "driver": "pathway_world"}],
        }
        campaign = dict(self._campaign)
        protocol = {
            k: v
            for k, v in dict(campaign["protocol"]).items()  # type: ignore[call-overload]
            if k not in ("liquid_handler", "incubator", "plate_reader")
        }
        protocol["parts_file"] = str((CAMPAIGN.parent / protocol["parts_file"]).resolve())
        protocol["station"] = STATION
        campaign |= {
            "name": name,
            "budget": budget,
            "batch_size": batch,
            "strategy": {"name": strategy, "seed": seed},
            "lab": "lab.yaml",
            "protocol": protocol,
        }
        _dump(folder / name / "lab.yaml", lab, "lab written by dbtl bench")
        return _dump(folder / name / "campaign.yaml", campaign, "campaign written by dbtl bench")


SIMULATORS["pathway"] = PathwayScenario  # type: ignore[assignment]
