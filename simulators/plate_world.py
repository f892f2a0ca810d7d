"""A simulated bench of plates: what each well holds, moved as the liquid handler pipettes.

Wells hold volumes and amounts of species. Stocks are loaded from a deck;
every :class:`~drivers.liquid_handler.Movement` (read back from the robot's
own command log) carries the source's composition into the target, in
proportion to the volume moved. :class:`CompositionReader` is a plate-reader
backend that reports each well's concentrations (``<species>_mol_l``) and
volume: a dry run can check that a plate holds what the plan says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from drivers.base import DeviceIdentity
from drivers.liquid_handler import Movement
from drivers.plate_reader import PlateReaderBackend
from protocols.deck import Deck


@dataclass
class WellState:
    """Volume and species amounts in one well."""

    volume_ul: float = 0.0
    amounts_umol: dict[str, float] = field(default_factory=dict)


class PlateWorld:
    """Every well on the simulated bench, by (labware name, well)."""

    def __init__(self) -> None:
        self.wells: dict[tuple[str, str], WellState] = {}

    def load_stocks(self, deck: Deck) -> None:
        """Fill the deck's stock wells with their declared volume and concentration."""
        for stock in deck.stocks:
            amounts = {}
            if stock.species is not None and stock.concentration_mol_l is not None:
                amounts[stock.species] = stock.concentration_mol_l * stock.volume_ul
            self.wells[(stock.labware, stock.well)] = WellState(stock.volume_ul, amounts)

    def apply(self, movements: Iterable[Movement]) -> None:
        """Move liquid as the robot did."""
        for move in movements:
            source = self.wells.setdefault(move.source, WellState())
            target = self.wells.setdefault(move.destination, WellState())
            fraction = min(move.volume_ul / source.volume_ul, 1.0) if source.volume_ul > 0 else 0.0
            for species, amount in list(source.amounts_umol.items()):
                moved = amount * fraction
                source.amounts_umol[species] = amount - moved
                target.amounts_umol[species] = target.amounts_umol.get(species, 0.0) + moved
            source.volume_ul -= move.volume_ul
            target.volume_ul += move.volume_ul

    def concentrations(self, labware: str, well: str) -> dict[str, float]:
        """Species concentrations (mol/L) and volume of one well (empty wells read zero volume)."""
        state = self.wells.get((labware, well), WellState())
        values = {"volume_ul": state.volume_ul}
        if state.volume_ul > 0:
            values |= {f"{s}_mol_l": n / state.volume_ul for s, n in state.amounts_umol.items()}
        return values


class CompositionReader(PlateReaderBackend):
    """Reads what each well of the simulated bench holds."""

    def __init__(self, world: PlateWorld) -> None:
        self.world = world

    def identify(self) -> DeviceIdentity:
        """A simulated instrument."""
        return DeviceIdentity(model="simulated composition reader")

    def read_plate(
        self, labware: str, wells: Sequence[str], key: str
    ) -> Mapping[str, Mapping[str, float]]:
        """Concentrations of every species, and the volume, of each well."""
        return {well: self.world.concentrations(labware, well) for well in wells}
