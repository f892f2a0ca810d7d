"""From what a well holds to the reaction conditions a published table names.

The well's species are named by the SMILES of the stocks they came from. Each
reagent column of the table claims the one species among its own values (none
means "nothing added" if the table has such reactions); the reaction solvent
is the neat solvent dispensed. A well is one of the table's reactions only if
every species is claimed (or is a declared constant), every column found
exactly one reagent, and each reagent's amount relative to the limiting
reagent matches the equivalents the table ran at. Anything else is a wrong
dispense, and :class:`~simulators.yield_table.ConditionsError` says which.
"""

from __future__ import annotations

from collections.abc import Mapping

from protocols.deck import StockSpec
from simulators.plate_world import WellState
from simulators.yield_table import (
    NOTHING_ADDED,
    ConditionsError,
    YieldTable,
    YieldTableSpec,
    canonical_smiles,
)

PRESENT_FRACTION = 1e-9
"""Amounts (or volumes) below this fraction of the well's total count as absent."""


def infer_conditions(
    well: WellState, stocks: Mapping[str, StockSpec], table: YieldTable
) -> dict[str, str]:
    """Name the reaction in ``well`` in the table's terms: column → canonical SMILES.

    Args:
        well: What the well holds (species amounts, and volumes by stock of origin).
        stocks: The bench's stocks by name (their species, SMILES, concentrations).
        table: The table, with its spec (limiting reagent, equivalents, solvent).

    Raises:
        ConditionsError: The well holds none of the table's reactions; the message says why.
    """
    if well.volume_ul <= 0:
        raise ConditionsError("the well is empty")
    spec = table.spec
    amounts = _amounts_by_smiles(well, stocks)
    conditions = {
        column: _claim(column, amounts, table.levels[column]) for column in spec.reagent_columns()
    }
    claimed = set(conditions.values()) | {canonical_smiles(s) for s in spec.constant}
    foreign = sorted(set(amounts) - claimed)
    if foreign:
        raise ConditionsError(
            f"species {', '.join(foreign)} belong to no column of the table "
            "(a wrong stock, or one the table never used)"
        )
    _check_ratios(spec, conditions, amounts)
    if spec.solvent is not None:
        conditions[spec.solvent] = _solvent(well, stocks, table.levels[spec.solvent])
    return conditions


def _amounts_by_smiles(well: WellState, stocks: Mapping[str, StockSpec]) -> dict[str, float]:
    smiles_of = {s.species: s.smiles for s in stocks.values() if s.species is not None}
    total = sum(well.amounts_umol.values())
    amounts: dict[str, float] = {}
    for species, umol in well.amounts_umol.items():
        if umol <= PRESENT_FRACTION * total:
            continue
        smiles = smiles_of.get(species)
        if not smiles:
            raise ConditionsError(f"species {species!r} has no SMILES on any stock")
        key = canonical_smiles(smiles)
        amounts[key] = amounts.get(key, 0.0) + umol
    return amounts


def _claim(column: str, amounts: Mapping[str, float], levels: frozenset[str]) -> str:
    """The one species of ``column`` in the well ("" if none and the table allows it)."""
    found = sorted(set(amounts) & levels)
    if len(found) > 1:
        raise ConditionsError(f"{len(found)} reagents of {column} in one well: {', '.join(found)}")
    if found:
        return found[0]
    if NOTHING_ADDED in levels:
        return NOTHING_ADDED
    raise ConditionsError(f"no reagent of {column} (any of its {len(levels)} values) in the well")


def _check_ratios(
    spec: YieldTableSpec, conditions: Mapping[str, str], amounts: Mapping[str, float]
) -> None:
    limiting = conditions[spec.limiting]
    if limiting == NOTHING_ADDED:
        raise ConditionsError(f"no limiting reagent ({spec.limiting}) in the well")
    nominal: list[tuple[str, str, float | None]] = [
        (column, conditions[column], equiv) for column, equiv in spec.equivalents.items()
    ]
    nominal += [(f"constant {s}", canonical_smiles(s), equiv) for s, equiv in spec.constant.items()]
    for label, smiles, equivalents in nominal:
        if smiles == NOTHING_ADDED:
            continue
        if smiles not in amounts:
            raise ConditionsError(f"{label} is missing from the well")
        measured = amounts[smiles] / amounts[limiting]
        if equivalents is not None and abs(measured / equivalents - 1) > spec.tolerance_relative:
            raise ConditionsError(
                f"{label} at {measured:.3g} equivalents of the limiting reagent; the table's "
                f"reactions used {equivalents:g} (± {spec.tolerance_relative:.0%})"
            )


def _solvent(well: WellState, stocks: Mapping[str, StockSpec], levels: frozenset[str]) -> str:
    """The neat solvent dispensed into the well, by SMILES."""
    neat: set[str] = set()
    for name, volume_ul in well.stock_volumes_ul.items():
        stock = stocks.get(name)
        if stock is None or stock.species is not None:
            continue
        if volume_ul <= PRESENT_FRACTION * well.volume_ul:
            continue
        if not stock.smiles:
            raise ConditionsError(f"solvent stock {name!r} has no SMILES")
        neat.add(canonical_smiles(stock.smiles))
    if len(neat) > 1:
        raise ConditionsError(f"mixed solvents {', '.join(sorted(neat))}")
    solvent = neat.pop() if neat else NOTHING_ADDED
    if solvent not in levels:
        raise ConditionsError(
            f"solvent {solvent or '(none dispensed)'} is not among the table's solvents"
        )
    return solvent
