"""Route campaigns: from a target to an optimized recipe in one file.

```yaml
name: biaryl-amide-route
target: CC(=O)Nc1ccc(-c2ccccc2)cc1
stock: stock.csv                 # relative to this file
lab: labs/route_bench.yaml
proposal: {proposer: templates, max_steps: 2, max_routes: 4}
approval: {policy: auto}         # auto: solved routes whose recipe passes are approved as 'auto'
budget: 20
batch_size: 2
strategy: {name: bo, seed: 0}
station: route_world
liquid_handler: ot2
```

Loading proposes routes to the target (stored for review, once), takes the
approved ones (under ``auto``, approving the solved routes whose recipe
passes the lab check, as account ``auto``; otherwise those a chemist
approved with ``dbtl route approve``) and builds an ordinary campaign whose
parameters are the routes' joint condition space (:mod:`lab.builders.route`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from datastore import Datastore
from datastore import repository as repo
from lab.builders.binding import make_builder
from lab.builders.capabilities import ChoosesRoutes
from lab.devices.lab_spec import LabSpec
from lab.devices.labfile import load_lab
from lab.running.campaigns import LoadedCampaign
from lab.services.routes import StoredRoute, decide, propose_and_store, validate_recipe
from lab.specs.campaign import ApprovalSpec, CampaignSpec, StrategySpec
from lab.specs.route import ApprovedRoute, RouteProtocolSpec
from lab.specs.yamlio import SpecError, load_model
from planner import Objective
from planner.space import ParameterValue
from protocols.errors import ProtocolError
from protocols.route_batch import HeaterShakerSetup
from routes.chem import canonical
from routes.errors import RouteError
from routes.registry import ProposalRequest
from routes.stock import Stock

AUTO_ACCOUNT = "auto"


class ProposalSpec(BaseModel):
    """Which proposer, and its limits."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    proposer: str = "templates"
    max_steps: int = Field(default=3, ge=1, le=6)
    max_routes: int = Field(default=4, ge=1, le=20)
    route_file: str | None = Field(default=None, description="for the file readers")


class RouteCampaignSpec(BaseModel):
    """One route campaign file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=200)
    description: str | None = None
    target: str
    stock: str
    lab: str
    proposal: ProposalSpec = ProposalSpec()
    approval: ApprovalSpec = ApprovalSpec()
    budget: int = Field(ge=1)
    batch_size: int = Field(default=1, ge=1, le=96)
    strategy: StrategySpec = StrategySpec()
    station: str
    liquid_handler: str
    heater_shaker: HeaterShakerSetup = HeaterShakerSetup()


@dataclass(frozen=True)
class RouteCampaign(LoadedCampaign):
    """A loaded campaign whose builder runs each design on one of the approved routes."""

    builder: ChoosesRoutes


@dataclass(frozen=True)
class PreparedRoutes:
    """The routes of a campaign: every stored proposal, and the approved ones it runs."""

    proposed: list[StoredRoute]
    approved: list[StoredRoute]
    held: dict[int, str]
    """Why the auto policy left a route for a person, by version id."""


def prepare_routes(
    store: Datastore, spec: RouteCampaignSpec, base: Path, lab: LabSpec, author: str
) -> PreparedRoutes:
    """Propose (and store) the routes, and approve them under ``auto``.

    Raises:
        SpecError: Bad target, stock or proposal; no approved route.
    """
    try:
        stock = Stock.read(base / spec.stock)
        route_file = base / spec.proposal.route_file if spec.proposal.route_file else None
        request = ProposalRequest(
            spec.target, stock, spec.proposal.max_steps, spec.proposal.max_routes, route_file
        )
        proposed = propose_and_store(store, request, author, spec.proposal.proposer)
    except RouteError as exc:
        raise SpecError(f"{spec.name}: {exc}") from None
    held: dict[int, str] = {}
    if spec.approval.policy == "auto":
        proposed = [_auto_approve(store, s, lab, spec.heater_shaker, held) for s in proposed]
    approved = [s for s in proposed if s.status == "approved"]
    if not approved:
        raise SpecError(
            f"{spec.name}: no approved route to {canonical(spec.target, 'target')}; review the "
            "proposals with 'dbtl route review' and approve one with 'dbtl route approve'"
        )
    return PreparedRoutes(proposed, approved, held)


def _auto_approve(
    store: Datastore,
    stored: StoredRoute,
    lab: LabSpec,
    setup: HeaterShakerSetup,
    held: dict[int, str],
) -> StoredRoute:
    if stored.status != "proposed":
        return stored
    try:
        validate_recipe(stored.route, lab, setup)
    except (RouteError, ProtocolError) as exc:
        held[stored.version.id or 0] = str(exc)  # left for a person
        return stored
    comment = "auto policy: every leaf in stock, recipe passes the lab check"
    return decide(store, stored.version.id or 0, "approved", AUTO_ACCOUNT, comment, lab, setup)


def approved_routes(stored: list[StoredRoute]) -> tuple[ApprovedRoute, ...]:
    """The approved versions as the campaign's routes, labelled ``v<id>``."""
    return tuple(
        ApprovedRoute(label=f"v{s.version.id}", version_id=s.version.id, route=s.route)
        for s in stored
    )


def campaign_spec(
    spec: RouteCampaignSpec, routes: tuple[ApprovedRoute, ...], lab: LabSpec
) -> CampaignSpec:
    """The ordinary campaign that optimizes the approved routes."""
    from lab.builders.route import route_parameters

    protocol = RouteProtocolSpec(
        station=spec.station,
        liquid_handler=spec.liquid_handler,
        heater_shaker=spec.heater_shaker,
        routes=routes,
    )
    return CampaignSpec(
        name=spec.name,
        description=spec.description,
        parameters=route_parameters(routes, lab, spec.heater_shaker),
        objectives=(Objective(name="yield_pct", direction="maximize", unit="%"),),
        budget=spec.budget,
        batch_size=spec.batch_size,
        strategy=spec.strategy,
        lab=spec.lab,
        protocol=protocol,
        approval=spec.approval,
    )


def load_route_campaign(
    store: Datastore, path: Path, author: str, budget: int | None = None
) -> tuple[RouteCampaign, PreparedRoutes]:
    """Read a route campaign file, prepare its routes and bind the campaign to its lab.

    Raises:
        SpecError: Either file is malformed, or no route can run.
    """
    spec = load_model(path, RouteCampaignSpec)
    if budget is not None:
        spec = spec.model_copy(update={"budget": budget})
    lab_path = (path.parent / spec.lab).resolve()
    if not lab_path.is_file():
        raise SpecError(f"{path}: lab file {spec.lab!r} not found (looked at {lab_path})")
    lab = load_lab(lab_path)
    prepared = prepare_routes(store, spec, path.parent, lab, author)
    campaign = campaign_spec(spec, approved_routes(prepared.approved), lab)
    text = yaml.safe_dump(campaign.model_dump(mode="json"), sort_keys=False)
    builder = make_builder(campaign, lab)
    if not isinstance(builder, ChoosesRoutes):  # campaign_spec asks for the route builder
        raise TypeError(f"{path}: the {campaign.protocol.builder!r} builder chooses no routes")
    return RouteCampaign(path, text, campaign, lab, builder), prepared


def best_recipe(
    store: Datastore, loaded: LoadedCampaign
) -> tuple[dict[str, ParameterValue], float] | None:
    """The design and yield of the best completed experiment of the campaign, if any."""
    with store.session() as session:
        campaign = repo.get_campaign(session, loaded.spec.name)
        rows = repo.experiment_rows(session, campaign.id or 0)
        measured = repo.campaign_measurements(session, campaign.id or 0, ["yield_pct"])
    scored = [(row.parameters, measured[row.id]["yield_pct"]) for row in rows if row.id in measured]
    if not scored:
        return None
    parameters, value = max(scored, key=lambda item: item[1])
    return dict(parameters), float(value)
