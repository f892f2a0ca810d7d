"""What a benchmark runs: one campaign file (and its lab file) per strategy and seed.

A scenario writes ordinary campaign and lab files, so every benchmark run is a
campaign like any other: ``dbtl run`` resumes it, ``dbtl show`` inspects it.
A table scenario replays a published table on an experiment station; the SnAr
scenario runs the simulated flow bench of the demo.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import yaml

from lab.bench.tables import Dataset, Direction

STATION = "table"


@dataclass(frozen=True)
class Criterion:
    """A success threshold on several measured quantities (e.g. Summit's SnAr threshold)."""

    name: str
    at_least: Mapping[str, float] = field(default_factory=dict)
    at_most: Mapping[str, float] = field(default_factory=dict)

    def met(self, values: Mapping[str, float]) -> bool:
        """Whether one experiment's measurements meet every bound."""
        try:
            return all(values[k] >= v for k, v in self.at_least.items()) and all(
                values[k] <= v for k, v in self.at_most.items()
            )
        except KeyError:
            return False

    def describe(self) -> str:
        """E.g. ``sty_kg_m3_h ≥ 10000 and e_factor ≤ 10``."""
        parts = [f"{k} ≥ {v:g}" for k, v in self.at_least.items()]
        parts += [f"{k} ≤ {v:g}" for k, v in self.at_most.items()]
        return " and ".join(parts)


class Scenario(Protocol):
    """A benchmark problem that can write the campaign of one strategy and seed."""

    @property
    def name(self) -> str:
        """Short name, used in campaign names."""
        ...

    @property
    def objective(self) -> str:
        """The optimized quantity."""
        ...

    @property
    def direction(self) -> Direction:
        """Maximize or minimize."""
        ...

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """Success thresholds reported besides the objective."""
        ...

    @property
    def reference(self) -> tuple[float, float] | None:
        """(best, worst) objective values of the table, or ``None`` without a table."""
        ...

    @property
    def table_values(self) -> np.ndarray | None:
        """The objective of every design of the table (for the random expectation)."""
        ...

    def designs(self) -> int | None:
        """How many distinct designs exist (``None``: a continuous space)."""
        ...

    def write(self, folder: Path, strategy: str, seed: int, budget: int, batch: int) -> Path:
        """Write the campaign (and lab) files of one run into ``folder``; return the campaign."""
        ...


def campaign_name(scenario: str, strategy: str, seed: int) -> str:
    """Name of the campaign of one strategy and seed (unique within a datastore)."""
    return f"bench-{scenario}-{strategy}-s{seed}"


def slug(text: str) -> str:
    """A name fragment made of letters, digits, dots, dashes and underscores."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "-", text).strip("-.") or "table"


def _dump(path: Path, data: Mapping[str, Any], header: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100)
    path.write_text(f"# {header}\n{text}", encoding="utf-8")
    return path


def _strategy(name: str, seed: int) -> dict[str, Any]:
    return {"name": name, "seed": seed}


@dataclass(frozen=True)
class TableScenario:
    """A published table replayed by an experiment station."""

    dataset: Dataset
    name: str
    criteria: tuple[Criterion, ...] = ()

    @property
    def objective(self) -> str:
        """The optimized column."""
        return self.dataset.objective

    @property
    def direction(self) -> Direction:
        """Maximize or minimize."""
        return self.dataset.direction

    @property
    def reference(self) -> tuple[float, float] | None:
        """The table's best and worst objective values."""
        return (self.dataset.best, self.dataset.worst)

    @property
    def table_values(self) -> np.ndarray | None:
        """The objective of every distinct design."""
        return self.dataset.values

    def designs(self) -> int | None:
        """Distinct designs in the table."""
        return len(self.dataset.table)

    def write(self, folder: Path, strategy: str, seed: int, budget: int, batch: int) -> Path:
        """A lab with one station replaying the table, and the campaign over its designs."""
        name = campaign_name(self.name, strategy, seed)
        spec = self.dataset.station_spec()
        lab = {
            "name": name,
            "description": f"replays {spec.table.name} ({len(self.dataset.table)} designs)",
            "devices": [
                {
                    "name": STATION,
                    "kind": "station",
                    "driver": "experiment_table",
                    "experiment_table": {
                        "table": str(spec.table),
                        "parameters": list(spec.parameters),
                        "outcomes": list(spec.outcomes),
                    },
                }
            ],
        }
        renamed = {c: p for p, c in self.dataset.columns.items() if c != p}
        campaign = {
            "name": name,
            "description": f"{strategy}, seed {seed}, on {spec.table.name}",
            "lab": "lab.yaml",
            "parameters": [
                p.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
                | {"type": p.type}
                for p in self.dataset.parameters
            ],
            "objectives": [{"name": self.objective, "direction": self.direction}],
            "budget": budget,
            "batch_size": batch,
            "strategy": _strategy(strategy, seed),
            "approval": {"policy": "auto"},
            "protocol": {"builder": "station", "station": STATION}
            | ({"inputs": renamed} if renamed else {}),
        }
        _dump(folder / name / "lab.yaml", lab, "lab written by dbtl bench")
        return _dump(folder / name / "campaign.yaml", campaign, "campaign written by dbtl bench")


SNAR_THRESHOLD = Criterion(
    "Summit threshold", at_least={"sty_kg_m3_h": 10_000.0}, at_most={"e_factor": 10.0}
)
"""Summit's SnAr threshold (Felton et al. 2021): STY ≥ 10,000 kg m⁻³ h⁻¹ and E-factor ≤ 10."""

SNAR_PARAMETERS = [
    {"name": "residence_time_min", "type": "float", "bounds": [0.5, 2.0], "unit": "min"},
    {"name": "equivalents", "type": "float", "bounds": [1.0, 5.0], "unit": "equiv"},
    {"name": "concentration_mol_l", "type": "float", "bounds": [0.1, 0.5], "unit": "mol/L"},
    {"name": "temperature_c", "type": "float", "bounds": [30.0, 120.0], "unit": "degC"},
]
SNAR_OBJECTIVES: dict[str, Direction] = {
    "sty_kg_m3_h": "maximize",
    "e_factor": "minimize",
    "yield_pct": "maximize",
}


def _snar_lab(name: str, noise: float) -> dict[str, Any]:
    def pump(pump_name: str, species: str | None, stock_mol_l: float) -> dict[str, Any]:
        reservoir = {"species": species} | ({"concentration_mol_l": stock_mol_l} if species else {})
        return {
            "name": pump_name,
            "kind": "pump",
            "driver": "simulated",
            "max_flow_rate_ml_min": 10.0,
            "reservoir": reservoir,
        }

    return {
        "name": name,
        "description": "simulated SnAr flow bench (Hone et al. 2017 kinetics)",
        "reactor": {"volume_ml": 5.0},
        "simulation": {"model": "snar", "noise_relative_sd": noise},
        "devices": [
            pump("pump_dfnb", "dfnb", 1.0),
            pump("pump_pyrrolidine", "pyrrolidine", 6.0),
            pump("pump_ethanol", None, 0.0),
            {
                "name": "reactor_heater",
                "kind": "heater",
                "driver": "simulated",
                "min_temperature_c": 20.0,
                "max_temperature_c": 140.0,
                "ramp_c_per_min": 15.0,
            },
            {"name": "hplc", "kind": "analyzer", "driver": "simulated"},
        ],
    }


@dataclass(frozen=True)
class SnarScenario:
    """The SnAr flow reactor model (Hone et al. 2017) on the simulated flow bench."""

    objective: str = "sty_kg_m3_h"
    direction: Direction = "maximize"
    noise_relative_sd: float = 0.0
    name: str = "snar"
    criteria: tuple[Criterion, ...] = (SNAR_THRESHOLD,)

    @property
    def reference(self) -> tuple[float, float] | None:
        """No table: no reference."""
        return None

    @property
    def table_values(self) -> np.ndarray | None:
        """No table: no exact random expectation."""
        return None

    def designs(self) -> int | None:
        """A continuous space."""
        return None

    def write(self, folder: Path, strategy: str, seed: int, budget: int, batch: int) -> Path:
        """The flow bench and a campaign over the four conditions of the demo."""
        name = campaign_name(self.name, strategy, seed)
        campaign = {
            "name": name,
            "description": f"{strategy}, seed {seed}, on the SnAr flow reactor model",
            "lab": "lab.yaml",
            "parameters": SNAR_PARAMETERS,
            "objectives": [{"name": self.objective, "direction": self.direction}],
            "budget": budget,
            "batch_size": batch,
            "strategy": _strategy(strategy, seed),
            "approval": {"policy": "auto"},
            "protocol": {
                "builder": "flow_reactor",
                "limiting_species": "dfnb",
                "reagent_species": "pyrrolidine",
                "heater": "reactor_heater",
                "analyzer": "hplc",
                "steady_state_volumes": 3,
                "readout": {
                    "product": "ortho",
                    "limiting_species": "dfnb",
                    "solvent_density_g_ml": 0.789,
                    "molar_masses_g_mol": {
                        "dfnb": 159.09,
                        "pyrrolidine": 71.12,
                        "ortho": 210.21,
                        "para": 210.21,
                        "bis": 261.33,
                    },
                },
            },
        }
        lab = _snar_lab(name, self.noise_relative_sd)
        _dump(folder / name / "lab.yaml", lab, "lab written by dbtl bench")
        return _dump(folder / name / "campaign.yaml", campaign, "campaign written by dbtl bench")


SIMULATORS = {"snar": SnarScenario}
"""Simulators selectable by name instead of a table."""
