"""The route service: propose, store, review, edit, approve and reject routes.

The CLI and the web app call these functions, so both see and do the same.
Bad input (an invalid SMILES, a target in stock, a template that does not
apply, a recipe the lab cannot make) is refused before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from datastore import Datastore
from datastore import routes as store_routes
from datastore.route_models import RouteDecision, RouteVersion
from lab.devices.lab_spec import LabSpec
from protocols.route_batch import HeaterShakerSetup, compile_batch
from protocols.route_recipe import StageConditions, resolve
from routes.errors import RouteInputError
from routes.model import Route
from routes.registry import ProposalRequest, propose
from routes.stock import Stock


@dataclass(frozen=True)
class StoredRoute:
    """A route version as stored, with its status and decision."""

    version: RouteVersion
    route: Route
    status: str
    decision: RouteDecision | None


def facts(route: Route) -> store_routes.RouteFacts:
    """What the datastore indexes of a route."""
    return store_routes.RouteFacts(
        target=route.target,
        route_json=route.to_json(),
        route_key=route.key(),
        source=route.source,
        step_count=route.step_count,
        solved=route.solved,
    )


def propose_and_store(
    store: Datastore,
    request: ProposalRequest,
    author: str,
    proposer: str = "templates",
) -> list[StoredRoute]:
    """Propose routes with ``proposer`` and store each as a version 1 (once).

    Raises:
        RouteInputError: Bad input; nothing is stored.
    """
    routes = propose(proposer, request)
    with store.session() as session:
        rows = [store_routes.store_proposal(session, facts(r), author)[0] for r in routes]
    return [load(store, row.id or 0) for row in rows]


def load(store: Datastore, version_id: int) -> StoredRoute:
    """One stored route version.

    Raises:
        NotFoundError: No such version.
    """
    with store.session() as session:
        version = store_routes.get_version(session, version_id)
        return StoredRoute(
            version,
            Route.model_validate_json(version.route_json),
            store_routes.status_of(session, version),
            store_routes.decision_of(session, version_id),
        )


def listing(store: Datastore, target: str | None = None) -> list[StoredRoute]:
    """Every stored route version (of ``target``), oldest first."""
    with store.session() as session:
        ids = [v.id or 0 for v in store_routes.list_versions(session, target)]
    return [load(store, i) for i in ids]


def save_edit(
    store: Datastore, parent_id: int, edited: Route, author: str, note: str
) -> StoredRoute:
    """Store ``edited`` as the next version after ``parent_id``.

    Raises:
        RouteInputError: The edit changes nothing, or the target.
    """
    parent = load(store, parent_id)
    if edited.to_json() == parent.route.to_json():
        raise RouteInputError(f"route version {parent_id}", "the edit changes nothing")
    if edited.target != parent.route.target:
        raise RouteInputError(f"route version {parent_id}", "an edit cannot change the target")
    with store.session() as session:
        row = store_routes.add_version(session, parent_id, facts(edited), author, note)
    return load(store, row.id or 0)


def check_conditions(route: Route, held_solvents: set[str]) -> list[StageConditions]:
    """The conditions a recipe is checked at: the fixed ones, else the most demanding.

    Unfixed temperatures are checked at the step's lowest (the planner's range
    is capped at the device), equivalents at the step's highest (the largest
    volumes), times at the lowest and solvents at the step's first class the lab holds.
    """
    return [
        StageConditions(
            temperature_c=s.recipe.temperature_c
            if s.recipe.temperature_c is not None
            else s.conditions.temperature_c[0],
            equivalents=s.recipe.equivalents or s.conditions.equivalents[1],
            time_min=s.recipe.time_min or s.conditions.time_min[0],
            solvent=s.recipe.solvent
            or next(
                (c for c in s.conditions.solvents if c in held_solvents), s.conditions.solvents[0]
            ),
        )
        for s in route.steps
    ]


def validate_recipe(route: Route, lab: LabSpec, setup: HeaterShakerSetup | None = None) -> None:
    """Check a recipe against the lab before approval: inventory, volumes, temperatures.

    Raises:
        RouteInputError: Leaves not in stock, or the recipe does not compile for the lab.
        RecipeError: A species the lab lacks, a volume or temperature beyond a limit.
    """
    missing = [s for s, ok in route.leaves.items() if not ok]
    if missing:
        raise RouteInputError("route", f"leaves not in stock: {', '.join(missing)}")
    held = {r.solvent_class for r in lab.reagents if r.solvent_class is not None}
    conditions = check_conditions(route, held)
    handlers = [d for d in lab.devices if d.kind == "liquid_handler" and d.deck is not None]
    if not handlers:
        resolve(route, conditions, lab.reagents)
        return
    deck = handlers[0].robot_deck()
    compile_batch(route, conditions, lab.reagents, deck, setup or HeaterShakerSetup(), "check")


def decide(
    store: Datastore,
    version_id: int,
    decision: str,
    account: str,
    comment: str | None,
    lab: LabSpec | None = None,
    setup: HeaterShakerSetup | None = None,
) -> StoredRoute:
    """Approve (after the recipe check against ``lab``) or reject a route version.

    Raises:
        RouteInputError: Approval without a lab, or a superseded version.
        RecipeError: The recipe fails its check; nothing is stored.
        DatastoreError: The version is already decided.
    """
    stored = load(store, version_id)
    if stored.status == "superseded":
        raise RouteInputError(
            f"route version {version_id}", "a later version exists; decide on that one"
        )
    if decision == "approved":
        if lab is None:
            raise RouteInputError(
                "approve", "give --lab LAB.yaml: the recipe is checked against it"
            )
        validate_recipe(stored.route, lab, setup)
    with store.session() as session:
        store_routes.decide(session, version_id, decision, account, comment)
    return load(store, version_id)


def read_stock(path: Path) -> Stock:
    """Read a stock file (raises RouteInputError naming the file and line)."""
    return Stock.read(path)


def fixed_conditions(route: Route) -> list[StageConditions]:
    """The recipe's conditions, every one fixed by a chemist.

    Raises:
        RouteInputError: A step leaves a condition to the planner (named).
    """
    chosen = []
    for number, step in enumerate(route.steps, start=1):
        values = step.recipe.model_dump(exclude={"workup"})
        open_ = [k for k, v in values.items() if v is None]
        if open_:
            raise RouteInputError(
                f"step {number}",
                f"{', '.join(open_)} not set; fix them with 'dbtl route edit --set "
                f"{number}.{open_[0]}=...'",
            )
        chosen.append(StageConditions.model_validate(values))
    return chosen


def compile_recipe(
    stored: StoredRoute, lab: LabSpec, setup: HeaterShakerSetup | None = None
) -> str:
    """The Opentrons batch program of an approved, fully fixed recipe on ``lab``.

    Raises:
        RouteInputError: Not approved, a condition left open, or no liquid handler.
        RecipeError: The recipe fails its pre-flight.
    """
    if stored.status != "approved":
        raise RouteInputError(
            f"route version {stored.version.id}", f"is {stored.status}, not approved"
        )
    handlers = [d for d in lab.devices if d.kind == "liquid_handler" and d.deck is not None]
    if not handlers or handlers[0].deck is None:
        raise RouteInputError("lab", f"lab {lab.name!r} has no liquid handler with a deck")
    name = f"route{stored.version.id}"
    conditions = fixed_conditions(stored.route)
    deck = handlers[0].deck
    return compile_batch(
        stored.route, conditions, lab.reagents, deck, setup or HeaterShakerSetup(), name
    ).text
