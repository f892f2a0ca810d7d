"""A recipe: an approved route with every step's conditions, resolved against the inventory.

Both route compilers (telescoped flow, sequential batch) start here: the
route is split into stages (one per step, in run order), each stage's
species are found in the lab's reagent inventory, and anything missing is
refused naming the step and the species. Routes are run one-pot/telescoped,
so every step after the first must consume the product of the step before
it (a linear route); a convergent route is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from protocols.errors import ProtocolError
from protocols.inventory import ReagentSpec, find_reagent, solvent_for
from routes.model import Route, RouteStep


class RecipeError(ProtocolError):
    """A recipe cannot be compiled for this lab; ``where`` names the step."""

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")


class StageConditions(BaseModel):
    """The conditions one step runs at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature_c: float
    equivalents: float = Field(gt=0)
    time_min: float = Field(gt=0)
    solvent: str


@dataclass(frozen=True)
class Charge:
    """One species added to a stage: how many equivalents, and from where."""

    name: str
    equivalents: float
    reagent: ReagentSpec


@dataclass(frozen=True)
class Stage:
    """One step of the recipe, resolved: what is added, what comes in from the step before."""

    number: int
    step: RouteStep
    conditions: StageConditions
    charges: tuple[Charge, ...]
    solvent: ReagentSpec
    intermediate: str | None
    """The product of the previous stage this stage consumes (None for the first)."""


def _linear_intermediate(route: Route, index: int) -> str | None:
    step = route.steps[index]
    made = {s.product for s in route.steps[:index]}
    used = [r for r in step.reactants if r in made]
    if index == 0:
        return None
    previous = route.steps[index - 1].product
    if used != [previous]:
        raise RecipeError(
            f"step {index + 1}",
            "the route is not linear (each step must consume the product of the step before "
            "it, and only that); compile its branches as separate routes",
        )
    return previous


def _charges(
    route: Route,
    step: RouteStep,
    number: int,
    conditions: StageConditions,
    intermediate: str | None,
    inventory: tuple[ReagentSpec, ...],
) -> tuple[Charge, ...]:
    limiting = intermediate or step.limiting
    wanted: list[tuple[str, str | None, float]] = [
        (route.name_of(r), r, 1.0 if r == limiting else conditions.equivalents)
        for r in step.reactants
        if r != intermediate
    ]
    wanted += [(g.name, g.smiles, g.equivalents) for g in step.reagents if g.role != "solvent"]
    charges = []
    for name, smiles, equivalents in wanted:
        reagent = find_reagent(inventory, name, smiles)
        if reagent is None:
            known = ", ".join(r.species for r in inventory) or "none"
            raise RecipeError(
                f"step {number} ({step.template_class})",
                f"{name!r}{f' ({smiles})' if smiles and smiles != name else ''} is not in the "
                f"lab's reagent inventory; add it under 'reagents:' (the lab holds: {known})",
            )
        charges.append(Charge(name, equivalents, reagent))
    return tuple(charges)


def resolve(
    route: Route, conditions: list[StageConditions], inventory: tuple[ReagentSpec, ...]
) -> list[Stage]:
    """Resolve every step of ``route`` at ``conditions`` against ``inventory``.

    Raises:
        RecipeError: A count mismatch, a convergent route, or a species or solvent
            the inventory lacks (naming the step).
    """
    if len(conditions) != route.step_count:
        raise RecipeError(
            "recipe", f"{len(conditions)} condition sets for {route.step_count} steps"
        )
    stages = []
    for index, (step, chosen) in enumerate(zip(route.steps, conditions, strict=True)):
        number = index + 1
        intermediate = _linear_intermediate(route, index)
        solvent = solvent_for(inventory, chosen.solvent)
        if solvent is None:
            raise RecipeError(
                f"step {number} ({step.template_class})",
                f"no {chosen.solvent!r} solvent in the lab's reagent inventory; add a reagent "
                f"with solvent_class: {chosen.solvent}",
            )
        charges = _charges(route, step, number, chosen, intermediate, inventory)
        stages.append(Stage(number, step, chosen, charges, solvent, intermediate))
    return stages
