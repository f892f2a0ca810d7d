"""Routes as data: frozen, typed values that print, hash, diff and serialize to JSON.

A :class:`Route` is an ordered tuple of :class:`RouteStep` values, each making
one product from reactants; a reactant is either a leaf (bought from stock) or
the product of an earlier step, so the steps form a tree whose root is the
target. Steps are kept in the order they are run (leaves first, target last).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ConditionRange(BaseModel):
    """One continuous condition of a step, with its unit in the name (``temperature_c``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> ConditionRange:
        if not self.low < self.high:
            raise ValueError(f"{self.name}: low {self.low:g} must be < high {self.high:g}")
        return self


class StepConditionSpace(BaseModel):
    """Where one step may be run: temperature, equivalents, time and solvent class."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature_c: tuple[float, float]
    equivalents: tuple[float, float] = (1.0, 3.0)
    time_min: tuple[float, float] = (5.0, 120.0)
    solvents: tuple[str, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> StepConditionSpace:
        for name in ("temperature_c", "equivalents", "time_min"):
            low, high = getattr(self, name)
            if not low < high:
                raise ValueError(f"{name}: low {low:g} must be < high {high:g}")
        return self

    def ranges(self) -> tuple[ConditionRange, ...]:
        """The continuous conditions as ranges."""
        return tuple(
            ConditionRange(name=n, low=getattr(self, n)[0], high=getattr(self, n)[1])
            for n in ("temperature_c", "equivalents", "time_min")
        )


class Reagent(BaseModel):
    """A species a step needs besides its reactants: catalyst, base, reductant, solvent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    smiles: str | None = None
    role: Literal["catalyst", "ligand", "base", "acid", "reductant", "activator", "solvent"]
    equivalents: float = Field(default=1.0, gt=0)


class RecipeConditions(BaseModel):
    """What a chemist fixed for one step of a recipe; ``None`` leaves it to the planner."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature_c: float | None = None
    equivalents: float | None = Field(default=None, gt=0)
    time_min: float | None = Field(default=None, gt=0)
    solvent: str | None = None
    workup: str | None = Field(default=None, description="e.g. 'aqueous wash', 'in-line scavenger'")


class RouteStep(BaseModel):
    """One reaction step: reactants (+ reagents) → product.

    Attributes:
        reaction_smiles: ``reactants>>product``, atom-mapped where the source mapped it.
        template_class: The reaction class (``suzuki``, ``amide_coupling`` ...),
            which also picks the step's yield response in the route world.
        source: Who proposed it: ``template:<id>``, ``aizynthfinder``, ``syntheseus``,
            ``chemist``.
        limiting: The reactant the equivalents are counted against.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    reaction_smiles: str
    template_class: str
    template_id: str | None = None
    source: str
    reactants: tuple[str, ...] = Field(min_length=1)
    reagents: tuple[Reagent, ...] = ()
    product: str
    limiting: str
    conditions: StepConditionSpace
    recipe: RecipeConditions = RecipeConditions()
    validated: bool = Field(default=False, description="the template reproduces the product")
    metadata: dict[str, Any] = {}

    @model_validator(mode="after")
    def _limiting_is_a_reactant(self) -> RouteStep:
        if self.limiting not in self.reactants:
            raise ValueError(f"limiting reactant {self.limiting!r} is not among the reactants")
        return self


class Route(BaseModel):
    """A route from stock to ``target``: steps in the order they run, and its leaves.

    Attributes:
        leaves: Every starting material, with ``True`` when the stock holds it.
        cost: Sum of the stock prices of the leaves (price per unit of the stock file).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    steps: tuple[RouteStep, ...] = Field(min_length=1)
    leaves: dict[str, bool]
    source: str
    cost: float = 0.0
    names: dict[str, str] = {}

    @model_validator(mode="after")
    def _is_a_tree(self) -> Route:
        made: set[str] = set()
        for number, step in enumerate(self.steps, start=1):
            for reactant in step.reactants:
                if reactant not in made and reactant not in self.leaves:
                    raise ValueError(
                        f"step {number}: reactant {reactant!r} is neither a leaf nor made earlier"
                    )
            made.add(step.product)
        if self.steps[-1].product != self.target:
            raise ValueError(f"the last step makes {self.steps[-1].product!r}, not the target")
        return self

    @property
    def step_count(self) -> int:
        """Number of reaction steps."""
        return len(self.steps)

    @property
    def stock_coverage(self) -> float:
        """Fraction of the leaves the stock holds (1.0: everything can be bought)."""
        return sum(self.leaves.values()) / len(self.leaves) if self.leaves else 1.0

    @property
    def solved(self) -> bool:
        """Whether every leaf is in stock."""
        return all(self.leaves.values())

    def key(self) -> str:
        """A short digest of the chemistry (reactions, not conditions): equal routes, equal keys."""
        reactions = sorted(f"{'.'.join(sorted(s.reactants))}>>{s.product}" for s in self.steps)
        return hashlib.sha256("|".join(reactions).encode()).hexdigest()[:12]

    def to_json(self) -> str:
        """Canonical JSON of the whole route."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True)

    def name_of(self, smiles: str) -> str:
        """The stock name of ``smiles``, else the SMILES itself."""
        return self.names.get(smiles, smiles)

    def tree_lines(self) -> list[str]:
        """The route as an indented tree, target first, each leaf marked in or out of stock."""
        by_product = {s.product: s for s in self.steps}
        lines: list[str] = []

        def walk(smiles: str, depth: int) -> None:
            pad = "    " * depth
            step = by_product.get(smiles)
            if step is None:
                mark = "in stock" if self.leaves.get(smiles) else "NOT in stock"
                lines.append(f"{pad}{self.name_of(smiles)}  [{mark}]  {smiles}")
                return
            lines.append(f"{pad}{self.name_of(smiles)}  <= {step.template_class}  {smiles}")
            for reactant in step.reactants:
                walk(reactant, depth + 1)

        walk(self.target, 0)
        return lines
