"""High-throughput experimentation: a batch of designs becomes one plate of reactions.

Each design is one well. Its reaction is made up by dispensing stock solutions:
the limiting reagent at a final concentration, the other reagents in
equivalents of it (or at their own final concentration), and solvent up to
the reaction volume. Which stock serves a component can be fixed or chosen by
a categorical/molecule parameter (catalyst, base, solvent screens).

Volumes follow from amounts: ``n [µmol] = c [mol/L] × V [µL]`` and
``V_stock [µL] = n [µmol] / c_stock [mol/L]``.

Wells are assigned in plate order or, with ``randomize_wells``, shuffled by a
seeded generator (to decorrelate position effects from conditions); the
mapping experiment → well is part of the result and of the protocol's
metadata, so plate readings can be turned back into per-experiment values.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from protocols.deck import Deck, StockSpec
from protocols.errors import ProtocolError
from protocols.protocol import Protocol
from protocols.steps import Mix, ReadPlate, Step, Transfer, WellRef

DesignValues = Mapping[str, float | int | str]
Source = str | float
"""A parameter name, or a fixed number."""


class Component(BaseModel):
    """One ingredient of every well: which stock, and how much.

    Exactly one of ``stock`` (fixed) or ``choose_by`` (a parameter whose value
    names the stock) is given. ``options`` maps parameter values to stock
    names; without an entry the value must be a stock's name or its SMILES.
    The amount is ``equivalents`` of the limiting reagent or a final
    ``concentration_mol_l``; the solvent has neither (it fills the well).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    stock: str | None = None
    choose_by: str | None = None
    options: dict[str, str] = {}
    equivalents: Source | None = None
    concentration_mol_l: Source | None = None

    @model_validator(mode="after")
    def _check(self) -> Component:
        if (self.stock is None) == (self.choose_by is None):
            raise ValueError(f"component {self.role!r}: give exactly one of stock or choose_by")
        if self.equivalents is not None and self.concentration_mol_l is not None:
            raise ValueError(
                f"component {self.role!r}: give equivalents or concentration_mol_l, not both"
            )
        return self

    def parameters(self) -> list[str]:
        """Every parameter this component reads."""
        sources = [self.choose_by, self.equivalents, self.concentration_mol_l]
        return [s for s in sources if isinstance(s, str)]


class PlateRecipe(BaseModel):
    """How designs become wells: plate, reaction volume, components and liquid-handling policy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    liquid_handler: str
    plate: str = Field(description="deck labware holding the reactions")
    reaction_volume_ul: float = Field(gt=0)
    limiting: Component
    reagents: tuple[Component, ...] = ()
    solvent: Component
    wells: tuple[str, ...] | None = Field(
        default=None, description="wells to use, in order; default: the whole plate"
    )
    randomize_wells: bool = False
    seed: int = 0
    tip_policy: Literal["per_transfer", "per_stock"] = "per_transfer"
    mix_repetitions: int = Field(default=3, ge=0, le=50)
    mix_volume_fraction: float = Field(default=0.5, gt=0, le=0.9)
    plate_reader: str | None = None

    @model_validator(mode="after")
    def _check(self) -> PlateRecipe:
        if self.limiting.concentration_mol_l is None:
            raise ValueError("limiting: give its final concentration_mol_l")
        if self.solvent.equivalents is not None or self.solvent.concentration_mol_l is not None:
            raise ValueError("solvent: fills each well to reaction_volume_ul; give no amount")
        for component in self.reagents:
            if component.equivalents is None and component.concentration_mol_l is None:
                raise ValueError(
                    f"reagent {component.role!r}: give equivalents or concentration_mol_l"
                )
        roles = [c.role for c in self.components()]
        if len(set(roles)) != len(roles):
            raise ValueError(f"component roles must be unique; got {', '.join(roles)}")
        return self

    def components(self) -> list[Component]:
        """Solvent first, then the limiting reagent, then the reagents: the dispensing order."""
        return [self.solvent, self.limiting, *self.reagents]

    def parameters(self) -> list[str]:
        """Every parameter the recipe reads."""
        return sorted({p for c in self.components() for p in c.parameters()})


@dataclass(frozen=True)
class WellContent:
    """What goes into one well: the experiment, stock volumes and resulting amounts."""

    experiment: int
    volumes_ul: dict[str, float]
    """Stock name → volume dispensed."""
    amounts_umol: dict[str, float]
    """Species → amount in the well."""
    concentrations_mol_l: dict[str, float]
    """Species → final concentration."""
    stocks_by_role: dict[str, str]
    """Component role → stock serving it in this well."""


@dataclass(frozen=True)
class PlatePlan:
    """A plate protocol and where each experiment went."""

    protocol: Protocol
    well_map: dict[int, str]
    """Experiment number → well of the plate."""
    contents: dict[str, WellContent]
    """Well → its content."""


def well_contents(
    recipe: PlateRecipe, deck: Deck, experiment: int, design: DesignValues
) -> WellContent:
    """Compute the stock volumes of one design's well.

    Raises:
        ProtocolError: A parameter is missing or of the wrong kind, a value
            names no stock, or the stocks are too dilute to fit the reaction
            volume. The message names the experiment and the component.
    """
    where = f"experiment {experiment}"
    limiting_stock = _stock_of(recipe.limiting, design, deck, where)
    conc = _number(recipe.limiting.concentration_mol_l, design, where, "limiting")
    limiting_umol = conc * recipe.reaction_volume_ul
    volumes: dict[str, float] = {}
    amounts: dict[str, float] = {}
    roles: dict[str, str] = {}
    for component in [recipe.limiting, *recipe.reagents]:
        stock = limiting_stock if component is recipe.limiting else None
        stock = stock or _stock_of(component, design, deck, where)
        umol = _amount_umol(component, design, limiting_umol, recipe.reaction_volume_ul, where)
        if umol <= 0:
            continue
        if stock.concentration_mol_l is None or stock.species is None:
            raise ProtocolError(f"{where}: {component.role} stock {stock.name!r} has no species")
        volumes[stock.name] = volumes.get(stock.name, 0.0) + umol / stock.concentration_mol_l
        amounts[stock.species] = amounts.get(stock.species, 0.0) + umol
        roles[component.role] = stock.name
    solvent = _stock_of(recipe.solvent, design, deck, where)
    if _add_solvent(recipe, volumes, solvent, where):
        roles[recipe.solvent.role] = solvent.name
    concentrations = {s: n / recipe.reaction_volume_ul for s, n in amounts.items()}
    return WellContent(experiment, volumes, amounts, concentrations, roles)


def _add_solvent(
    recipe: PlateRecipe, volumes: dict[str, float], solvent: StockSpec, where: str
) -> bool:
    """Fill up with solvent; return whether any was needed."""
    if solvent.species is not None:
        raise ProtocolError(f"{where}: solvent stock {solvent.name!r} is a solution, not a solvent")
    used = sum(volumes.values())
    rest = recipe.reaction_volume_ul - used
    if rest < -1e-9:
        listed = ", ".join(f"{name} {v:.4g} µL" for name, v in volumes.items())
        raise ProtocolError(
            f"{where}: the stocks add up to {used:.4g} µL ({listed}), more than the "
            f"reaction volume {recipe.reaction_volume_ul:g} µL; use more concentrated "
            "stocks, fewer equivalents or a lower concentration"
        )
    if rest <= 1e-9:
        return False
    volumes[solvent.name] = volumes.get(solvent.name, 0.0) + rest
    return True


def _amount_umol(
    component: Component,
    design: DesignValues,
    limiting_umol: float,
    reaction_volume_ul: float,
    where: str,
) -> float:
    if component.equivalents is not None:
        return _number(component.equivalents, design, where, component.role) * limiting_umol
    assert component.concentration_mol_l is not None  # guaranteed by PlateRecipe
    return _number(component.concentration_mol_l, design, where, component.role) * (
        reaction_volume_ul
    )


def _number(source: Source | None, design: DesignValues, where: str, role: str) -> float:
    if not isinstance(source, str):
        return float(source or 0.0)
    if source not in design:
        raise ProtocolError(f"{where}: {role} needs parameter {source!r}, which the design lacks")
    value = design[source]
    if isinstance(value, str) or not math.isfinite(float(value)) or float(value) < 0:
        raise ProtocolError(
            f"{where}: {role} needs a non-negative number from {source!r}, got {value!r}"
        )
    return float(value)


def _stock_of(component: Component, design: DesignValues, deck: Deck, where: str) -> StockSpec:
    if component.stock is not None:
        return _stock(deck, component.stock, where, component.role)
    assert component.choose_by is not None  # guaranteed by Component
    if component.choose_by not in design:
        raise ProtocolError(
            f"{where}: {component.role} is chosen by parameter {component.choose_by!r}, "
            "which the design lacks"
        )
    value = str(design[component.choose_by])
    if value in component.options:
        return _stock(deck, component.options[value], where, component.role)
    match = [s for s in deck.stocks if value in (s.name, s.smiles)]
    if not match:
        raise ProtocolError(
            f"{where}: {component.role} {component.choose_by}={value!r} names no stock; "
            f"map it in options or name a stock ({', '.join(s.name for s in deck.stocks)})"
        )
    return match[0]


def _stock(deck: Deck, name: str, where: str, role: str) -> StockSpec:
    try:
        return deck.stock_named(name)
    except KeyError as exc:
        raise ProtocolError(f"{where}: {role}: {exc.args[0]}") from None


def assign_wells(recipe: PlateRecipe, deck: Deck, experiments: Sequence[int]) -> dict[int, str]:
    """Map each experiment to a well, in plate order or seeded-shuffled.

    Raises:
        ProtocolError: More experiments than usable wells, or a listed well
            the plate does not have.
    """
    plate = deck.labware_named(recipe.plate).info()
    wells = list(recipe.wells or plate.wells)
    unknown = [w for w in wells if w not in plate.capacity_ul]
    if unknown:
        raise ProtocolError(f"plate {recipe.plate} has no well(s) {', '.join(unknown)}")
    if len(experiments) > len(wells):
        raise ProtocolError(
            f"{len(experiments)} experiments do not fit the {len(wells)} usable wells of "
            f"plate {recipe.plate}"
        )
    chosen = (
        random.Random(recipe.seed).sample(wells, len(experiments))
        if (recipe.randomize_wells)
        else wells[: len(experiments)]
    )
    return dict(zip(experiments, chosen, strict=True))


def build_plate(
    designs: Sequence[tuple[int, DesignValues]], recipe: PlateRecipe, deck: Deck, name: str
) -> PlatePlan:
    """Turn a batch of designs into one plate protocol.

    Args:
        designs: ``(experiment number, design)`` pairs; numbers must be unique.
        recipe: Components, plate and liquid-handling policy.
        deck: The liquid handler's deck (stocks, pipettes, labware).
        name: Protocol name.

    Returns:
        The protocol (dispensing, mixing, optional plate read) and the
        experiment → well map.

    Raises:
        ProtocolError: An impossible design, or too many designs for the plate.
    """
    numbers = [number for number, _ in designs]
    if len(set(numbers)) != len(numbers):
        raise ProtocolError("experiment numbers of a plate must be unique")
    if recipe.plate not in {item.name for item in deck.labware}:
        raise ProtocolError(f"no plate {recipe.plate!r} on the deck ({deck.labware_names()})")
    well_map = assign_wells(recipe, deck, numbers)
    contents = {well_map[n]: well_contents(recipe, deck, n, d) for n, d in designs}
    steps = _dispense_steps(recipe, deck, contents) + _mix_steps(recipe, deck, contents)
    if recipe.plate_reader is not None:
        steps.append(
            ReadPlate(device=recipe.plate_reader, labware=recipe.plate, wells=tuple(contents))
        )
    return PlatePlan(
        protocol=Protocol(name=name, steps=tuple(steps), metadata=_metadata(recipe, contents)),
        well_map=well_map,
        contents=contents,
    )


def _dispense_steps(
    recipe: PlateRecipe, deck: Deck, contents: Mapping[str, WellContent]
) -> list[Step]:
    """Stock by stock (in component order), well by well: one tip per stock if allowed."""
    order = [
        content.stocks_by_role[c.role]
        for c in recipe.components()
        for content in contents.values()
        if c.role in content.stocks_by_role
    ]
    steps: list[Step] = []
    for stock_name in dict.fromkeys(order):
        stock = deck.stock_named(stock_name)
        fresh = True
        for well, content in contents.items():
            volume = content.volumes_ul.get(stock_name, 0.0)
            for part in _split(volume, deck.max_volume_ul()):
                keep = recipe.tip_policy == "per_stock" and not fresh
                steps.append(_transfer(recipe, stock, well, part, new_tip=not keep))
                fresh = False
    return steps


def _split(volume_ul: float, max_ul: float) -> list[float]:
    if volume_ul <= 0:
        return []
    parts = max(1, math.ceil(volume_ul / max_ul - 1e-9))
    return [volume_ul / parts] * parts


def _transfer(
    recipe: PlateRecipe, stock: StockSpec, well: str, volume_ul: float, new_tip: bool
) -> Transfer:
    """One transfer of ``stock`` into ``well`` (volumes to the nearest nL).

    Raises:
        ProtocolError: The volume rounds to nothing (the stock is far too concentrated).
    """
    if round(volume_ul, 3) <= 0:
        raise ProtocolError(
            f"well {well} needs {volume_ul:.2g} µL of stock {stock.name!r}, which rounds to "
            f"0 µL: dilute the stock (now {stock.concentration_mol_l:g} mol/L) or raise "
            "reaction_volume_ul"
        )
    return Transfer(
        device=recipe.liquid_handler,
        source=WellRef(labware=stock.labware, well=stock.well),
        destination=WellRef(labware=recipe.plate, well=well),
        volume_ul=round(volume_ul, 3),
        new_tip=new_tip,
        dispense_position="top" if recipe.tip_policy == "per_stock" else "bottom",
    )


def _mix_steps(recipe: PlateRecipe, deck: Deck, contents: Mapping[str, WellContent]) -> list[Step]:
    if recipe.mix_repetitions == 0:
        return []
    volume = min(recipe.mix_volume_fraction * recipe.reaction_volume_ul, deck.max_volume_ul())
    return [
        Mix(
            device=recipe.liquid_handler,
            well=WellRef(labware=recipe.plate, well=well),
            volume_ul=round(volume, 3),
            repetitions=recipe.mix_repetitions,
        )
        for well in contents
    ]


def _metadata(recipe: PlateRecipe, contents: Mapping[str, WellContent]) -> dict[str, Any]:
    return {
        "builder": "hte_plate",
        "plate": recipe.plate,
        "liquid_handler": recipe.liquid_handler,
        "randomized": recipe.randomize_wells,
        "seed": recipe.seed,
        "wells": {
            well: {
                "experiment": c.experiment,
                "volumes_ul": {k: round(v, 3) for k, v in c.volumes_ul.items()},
                "stocks_by_role": c.stocks_by_role,
                "concentrations_mol_l": c.concentrations_mol_l,
            }
            for well, c in contents.items()
        },
    }


def plate_well_map(protocol: Protocol) -> dict[int, str]:
    """Recover experiment → well from a plate protocol's metadata."""
    wells = protocol.metadata.get("wells", {})
    return {int(entry["experiment"]): well for well, entry in wells.items()}


def readings_by_experiment(
    well_map: Mapping[int, str], readings: Mapping[str, Mapping[str, float]]
) -> dict[int, dict[str, float]]:
    """Turn ``{well: {quantity: value}}`` into ``{experiment: {quantity: value}}``.

    Raises:
        ProtocolError: A well of the map was not read.
    """
    missing = sorted(well for well in well_map.values() if well not in readings)
    if missing:
        raise ProtocolError(f"the plate reading lacks well(s) {', '.join(missing)}")
    return {number: dict(readings[well]) for number, well in well_map.items()}
