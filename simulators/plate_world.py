"""A simulated bench of plates: what each well holds, moved as the liquid handler pipettes.

Wells hold volumes and amounts of species, and remember which stocks their
liquid came from (so a neat solvent, which carries no species, can still be
told apart from another). Stocks are loaded from a deck; every
:class:`~drivers.liquid_handler.Movement` (read back from the robot's own
command log) carries the source's composition into the target, in proportion
to the volume moved.

Each robot run starts on a freshly set-up deck (stocks at their declared
volumes, empty plates), as when an operator loads a new plate and tops up the
stocks between plates: :class:`PlateFillingBackend` wraps a liquid-handler
backend and fills the bench from every successful run it reports, whether run
now or recalled by its key after a crash. The bench then holds the plate of
the last run reported, which a simulated plate reader reads.

:class:`CompositionReader` is a plate-reader backend that reports each well's
concentrations (``<species>_mol_l``) and volume: a dry run can check that a
plate holds what the plan says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from drivers.base import DeviceIdentity
from drivers.liquid_handler import (
    LiquidHandlerBackend,
    Movement,
    RobotProgram,
    RunReport,
    liquid_movements,
)
from drivers.plate_reader import PlateReaderBackend
from protocols.deck import Deck, StockSpec


@dataclass
class WellState:
    """Volume, species amounts and liquid origins of one well."""

    volume_ul: float = 0.0
    amounts_umol: dict[str, float] = field(default_factory=dict)
    stock_volumes_ul: dict[str, float] = field(default_factory=dict)
    """Stock name → volume of that stock's liquid now in the well."""


class PlateWorld:
    """Every well on the simulated bench, by (labware name, well)."""

    def __init__(self) -> None:
        self.wells: dict[tuple[str, str], WellState] = {}
        self._decks: list[Deck] = []

    def load_stocks(self, deck: Deck) -> None:
        """Fill the deck's stock wells with their declared volume and concentration."""
        if deck not in self._decks:
            self._decks.append(deck)
        for stock in deck.stocks:
            amounts = {}
            if stock.species is not None and stock.concentration_mol_l is not None:
                amounts[stock.species] = stock.concentration_mol_l * stock.volume_ul
            origin = {stock.name: stock.volume_ul}
            self.wells[(stock.labware, stock.well)] = WellState(stock.volume_ul, amounts, origin)

    def stocks(self) -> dict[str, StockSpec]:
        """Every stock loaded on the bench, by name."""
        return {stock.name: stock for deck in self._decks for stock in deck.stocks}

    def fresh_run(self, movements: Iterable[Movement]) -> None:
        """Set the bench up afresh (stocks reloaded, plates empty), then move liquid as a run."""
        self.wells = {}
        for deck in self._decks:
            self.load_stocks(deck)
        self.apply(movements)

    def apply(self, movements: Iterable[Movement]) -> None:
        """Move liquid as the robot did."""
        for move in movements:
            source = self.wells.setdefault(move.source, WellState())
            target = self.wells.setdefault(move.destination, WellState())
            fraction = min(move.volume_ul / source.volume_ul, 1.0) if source.volume_ul > 0 else 0.0
            _move_share(source.amounts_umol, target.amounts_umol, fraction)
            _move_share(source.stock_volumes_ul, target.stock_volumes_ul, fraction)
            source.volume_ul -= move.volume_ul
            target.volume_ul += move.volume_ul

    def well(self, labware: str, well: str) -> WellState:
        """What one well holds (an empty state for a well never filled)."""
        return self.wells.get((labware, well), WellState())

    def concentrations(self, labware: str, well: str) -> dict[str, float]:
        """Species concentrations (mol/L) and volume of one well (empty wells read zero volume)."""
        state = self.well(labware, well)
        values = {"volume_ul": state.volume_ul}
        if state.volume_ul > 0:
            values |= {f"{s}_mol_l": n / state.volume_ul for s, n in state.amounts_umol.items()}
        return values


def _move_share(source: dict[str, float], target: dict[str, float], fraction: float) -> None:
    for name, quantity in list(source.items()):
        moved = quantity * fraction
        source[name] = quantity - moved
        target[name] = target.get(name, 0.0) + moved


class PlateFillingBackend(LiquidHandlerBackend):
    """Wraps a liquid-handler backend; each successful run it reports fills the simulated bench.

    Reports come from :meth:`run` and from :meth:`recall` alike: after a crash
    the robot's record of a finished run is what was pipetted, so the bench
    holds that plate again for a simulated reader to read.
    """

    def __init__(self, inner: LiquidHandlerBackend, world: PlateWorld) -> None:
        self.inner = inner
        self.world = world

    def connect(self) -> None:
        """Connect the wrapped backend."""
        self.inner.connect()

    def disconnect(self) -> None:
        """Disconnect the wrapped backend."""
        self.inner.disconnect()

    def identify(self) -> DeviceIdentity:
        """The wrapped backend's identity."""
        return self.inner.identify()

    def run(self, program: RobotProgram, key: str, timeout_s: float) -> RunReport:
        """Run on the wrapped backend; a successful run fills the bench."""
        return self._fill(self.inner.run(program, key, timeout_s))

    def recall(self, key: str) -> RunReport | None:
        """Recall from the wrapped backend; a successful run found fills the bench."""
        report = self.inner.recall(key)
        return None if report is None else self._fill(report)

    def stop(self) -> None:
        """Stop the wrapped backend's run."""
        self.inner.stop()

    def _fill(self, report: RunReport) -> RunReport:
        if report.succeeded:
            self.world.fresh_run(liquid_movements(report))
        return report


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
