"""The route scenario of ``dbtl bench``: optimize the example route campaign on the route world.

Routes to the example target (``examples/route_campaign.yaml``) are proposed
from ``examples/stock.csv``; those whose recipe passes the route bench's check
are the campaign's routes (as the ``auto`` policy approves them), and each
strategy and seed optimizes the joint condition space and route choice for
the budget. The known optimum of the route world inside that space is the
reference, so the report gives the experiments to reach 95 % of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import yaml

from lab.bench.scenarios import SIMULATORS, Criterion, _dump, campaign_name
from lab.bench.tables import Direction
from lab.builders.route import route_optimum
from lab.devices.labfile import load_lab
from lab.services.route_campaigns import RouteCampaignSpec, campaign_spec
from lab.services.routes import validate_recipe
from lab.specs.campaign import StrategySpec
from lab.specs.route import ApprovedRoute
from lab.specs.yamlio import load_model
from planner import strategy_options
from protocols.errors import ProtocolError
from routes.errors import RouteError
from routes.registry import ProposalRequest, propose
from routes.stock import Stock

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CAMPAIGN = EXAMPLES / "route_campaign.yaml"


@dataclass(frozen=True)
class RouteScenario:
    """The example route campaign, run for each strategy and seed."""

    name: str = "route"
    objective: str = "yield_pct"
    direction: Direction = "maximize"

    @cached_property
    def _spec(self) -> RouteCampaignSpec:
        return load_model(CAMPAIGN, RouteCampaignSpec)

    @cached_property
    def _lab_path(self) -> Path:
        return (CAMPAIGN.parent / self._spec.lab).resolve()

    @cached_property
    def routes(self) -> tuple[ApprovedRoute, ...]:
        """The proposed routes whose recipe passes the bench's check."""
        spec, lab = self._spec, load_lab(self._lab_path)
        stock = Stock.read(CAMPAIGN.parent / spec.stock)
        request = ProposalRequest(
            spec.target, stock, spec.proposal.max_steps, spec.proposal.max_routes
        )
        passing = []
        for number, route in enumerate(propose(spec.proposal.proposer, request), start=1):
            try:
                validate_recipe(route, lab, spec.heater_shaker)
            except (RouteError, ProtocolError):
                continue
            passing.append(ApprovedRoute(label=f"r{number}", route=route))
        return tuple(passing)

    @cached_property
    def optimum_pct(self) -> float:
        """The route world's best yield inside the campaign's space."""
        spec = campaign_spec(self._spec, self.routes, load_lab(self._lab_path))
        return route_optimum(self.routes, spec.parameters)[1]

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """80 % of the known optimum."""
        return (Criterion("80 % of the optimum", at_least={"yield_pct": 0.8 * self.optimum_pct}),)

    @property
    def reference(self) -> tuple[float, float] | None:
        """The known optimum and zero yield."""
        return (self.optimum_pct, 0.0)

    @property
    def table_values(self) -> np.ndarray | None:
        """No table."""
        return None

    def designs(self) -> int | None:
        """A continuous space."""
        return None

    def _strategy(self, name: str, seed: int) -> StrategySpec:
        """The example's strategy options where they apply to ``name`` (a start of 6 for bo)."""
        known = set(strategy_options(name))
        options = {k: v for k, v in self._spec.strategy.options.items() if k in known}
        return StrategySpec(name=name, seed=seed, options=options)

    def write(self, folder: Path, strategy: str, seed: int, budget: int, batch: int) -> Path:
        """The route bench and the campaign over the approved routes."""
        name = campaign_name(self.name, strategy, seed)
        lab = yaml.safe_load(self._lab_path.read_text(encoding="utf-8")) | {"name": name}
        spec = self._spec.model_copy(
            update={
                "name": name,
                "budget": budget,
                "batch_size": batch,
                "strategy": self._strategy(strategy, seed),
                "lab": "lab.yaml",
            }
        )
        campaign = campaign_spec(spec, self.routes, load_lab(self._lab_path))
        _dump(folder / name / "lab.yaml", lab, "lab written by dbtl bench")
        data = campaign.model_dump(mode="json", exclude_none=True)
        return _dump(folder / name / "campaign.yaml", data, "campaign written by dbtl bench")


SIMULATORS["route"] = RouteScenario  # type: ignore[assignment]
