"""A chemist's refinements of a route: each edit returns a new route, the old one untouched.

Edits address steps by their 1-based number in run order: fix a condition
(``temperature_c``, ``equivalents``, ``time_min``, ``solvent``), add a workup
or in-line separation, swap a reagent, or swap a step for another template's
disconnection of the same product.
"""

from __future__ import annotations

from routes.errors import RouteInputError
from routes.model import RecipeConditions, Route, RouteStep
from routes.retro import apply_named_template
from routes.stock import Stock

CONDITION_NAMES = ("temperature_c", "equivalents", "time_min", "solvent", "workup")


def _step(route: Route, number: int) -> RouteStep:
    if not 1 <= number <= route.step_count:
        raise RouteInputError(f"step {number}", f"the route has steps 1-{route.step_count}")
    return route.steps[number - 1]


def _replace(route: Route, number: int, step: RouteStep) -> Route:
    steps = list(route.steps)
    steps[number - 1] = step
    return route.model_copy(update={"steps": tuple(steps)})


def set_condition(route: Route, number: int, name: str, value: str) -> Route:
    """Fix one condition of step ``number`` (a workup is free text).

    Raises:
        RouteInputError: Unknown step or condition, a non-number, a solvent class
            the step does not allow, or a value outside the step's condition space.
    """
    step = _step(route, number)
    where = f"step {number} {name}"
    if name not in CONDITION_NAMES:
        raise RouteInputError(where, f"unknown condition; use {', '.join(CONDITION_NAMES)}")
    parsed: str | float = value
    if name in ("temperature_c", "equivalents", "time_min"):
        try:
            parsed = float(value)
        except ValueError:
            raise RouteInputError(where, f"{value!r} is not a number") from None
        low, high = getattr(step.conditions, name)
        if not low <= parsed <= high:
            raise RouteInputError(where, f"{parsed:g} is outside the step's range {low:g}-{high:g}")
    if name == "solvent" and value not in step.conditions.solvents:
        raise RouteInputError(
            where,
            f"{value!r} is not a solvent class of this step: {', '.join(step.conditions.solvents)}",
        )
    recipe = step.recipe.model_copy(update={name: parsed})
    return _replace(
        route,
        number,
        step.model_copy(update={"recipe": RecipeConditions.model_validate(recipe.model_dump())}),
    )


def swap_reagent(route: Route, number: int, old: str, name: str, smiles: str | None) -> Route:
    """Replace reagent ``old`` (by name) of step ``number`` with ``name`` in the same role.

    Raises:
        RouteInputError: The step has no reagent ``old``.
    """
    step = _step(route, number)
    names = [r.name for r in step.reagents]
    if old not in names:
        raise RouteInputError(
            f"step {number}", f"no reagent {old!r}; its reagents: {', '.join(names) or 'none'}"
        )
    reagents = tuple(
        r.model_copy(update={"name": name, "smiles": smiles}) if r.name == old else r
        for r in step.reagents
    )
    return _replace(route, number, step.model_copy(update={"reagents": reagents}))


def swap_step(route: Route, number: int, template_id: str, stock: Stock | None) -> Route:
    """Make step ``number``'s product with another template; unused upstream steps go.

    The new step's reactants become leaves (flagged in or out of ``stock``;
    without a stock, flagged out) unless an earlier step still makes them.

    Raises:
        RouteInputError: Unknown step or template, or the template does not apply.
    """
    old = _step(route, number)
    new = apply_named_template(template_id, old.product, f"step {number}")[0]
    steps = [new if i == number - 1 else s for i, s in enumerate(route.steps)]
    steps = _prune(steps, route.target)
    made = {s.product for s in steps}
    leaves = {
        r: (r in stock) if stock is not None else route.leaves.get(r, False)
        for s in steps
        for r in s.reactants
        if r not in made
    }
    return route.model_copy(update={"steps": tuple(steps), "leaves": leaves, "source": "chemist"})


def _prune(steps: list[RouteStep], target: str) -> list[RouteStep]:
    """Keep only the steps whose product the target still needs."""
    needed = {target}
    kept: list[RouteStep] = []
    for step in reversed(steps):
        if step.product in needed:
            kept.append(step)
            needed.update(step.reactants)
    return list(reversed(kept))
