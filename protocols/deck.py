"""A liquid handler's deck: robot, pipettes, labware in slots, and the stocks they hold.

The deck is declared in the lab file (it is the liquid handler's limits) and
is pure data. Labware geometry (well names, well capacity, tip size) comes
from the Opentrons labware definitions shipped with ``opentrons_shared_data``,
so a load name that Opentrons does not know is caught before anything is
compiled, and well capacities are the vendor's figures.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from opentrons_shared_data.labware import list_definitions, load_definition
from pydantic import BaseModel, ConfigDict, Field, model_validator

RobotType = Literal["OT-2", "Flex"]

_NAME = r"^[A-Za-z_][A-Za-z0-9_\-]*$"
OT2_SLOTS = tuple(str(n) for n in range(1, 12))
FLEX_SLOTS = tuple(f"{row}{col}" for row in "ABCD" for col in (1, 2, 3))


@dataclass(frozen=True)
class PipetteModel:
    """What a pipette can do: the robot it fits, its volume range, its channels."""

    robot_type: RobotType
    min_volume_ul: float
    max_volume_ul: float
    channels: int = 1


PIPETTE_MODELS: dict[str, PipetteModel] = {
    "p20_single_gen2": PipetteModel("OT-2", 1.0, 20.0),
    "p300_single_gen2": PipetteModel("OT-2", 20.0, 300.0),
    "p1000_single_gen2": PipetteModel("OT-2", 100.0, 1000.0),
    "flex_1channel_50": PipetteModel("Flex", 1.0, 50.0),
    "flex_1channel_1000": PipetteModel("Flex", 5.0, 1000.0),
}
"""Single-channel pipettes the compiler supports, by Opentrons API load name."""


@dataclass(frozen=True)
class LabwareInfo:
    """Geometry of one labware definition that matters for validation."""

    load_name: str
    wells: tuple[str, ...]
    """Well names in Opentrons order (down each column, then across)."""
    capacity_ul: dict[str, float]
    is_tiprack: bool

    @property
    def tip_volume_ul(self) -> float:
        """Capacity of one tip (tip racks only)."""
        return min(self.capacity_ul.values())


@lru_cache(maxsize=1)
def _known_load_names() -> dict[str, list[int]]:
    versions: dict[str, list[int]] = {}
    for load_name, version, schema in list_definitions():
        if schema == 2:
            versions.setdefault(load_name, []).append(version)
    return versions


@lru_cache(maxsize=256)
def labware_info(load_name: str, version: int = 1) -> LabwareInfo:
    """Return the geometry of an Opentrons labware definition.

    Raises:
        ValueError: The load name (or version) is not an Opentrons definition;
            the message suggests the closest names.
    """
    known = _known_load_names()
    if load_name not in known:
        close = difflib.get_close_matches(load_name, list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"unknown labware {load_name!r}{hint}")
    if version not in known[load_name]:
        raise ValueError(
            f"labware {load_name!r} has no version {version}; "
            f"available: {', '.join(map(str, sorted(known[load_name])))}"
        )
    definition = load_definition(load_name, version)
    ordering = tuple(well for column in definition["ordering"] for well in column)
    capacity = {name: float(w["totalLiquidVolume"]) for name, w in definition["wells"].items()}
    return LabwareInfo(
        load_name=load_name,
        wells=ordering,
        capacity_ul=capacity,
        is_tiprack=bool(definition["parameters"].get("isTiprack")),
    )


class LabwareSpec(BaseModel):
    """One labware on the deck, named for protocols (``plate``, ``stocks``, ``tips_300``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME)
    load_name: str
    slot: str
    version: int = Field(default=1, ge=1)

    def info(self) -> LabwareInfo:
        """Return the labware's geometry (raises ValueError if unknown)."""
        return labware_info(self.load_name, self.version)


class PipetteSpec(BaseModel):
    """A pipette on a mount and the tip racks it draws from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mount: Literal["left", "right"]
    load_name: str
    tipracks: tuple[str, ...] = Field(min_length=1)

    @property
    def model(self) -> PipetteModel:
        """The pipette's capabilities (the name was checked by the deck)."""
        return PIPETTE_MODELS[self.load_name]


class StockSpec(BaseModel):
    """A stock solution (or neat solvent, ``species`` null) in one well of a labware.

    ``smiles`` lets molecule parameters pick the stock by structure.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME)
    labware: str
    well: str = Field(pattern=r"^[A-P][0-9]{1,2}$")
    species: str | None = None
    smiles: str | None = None
    concentration_mol_l: float | None = Field(default=None, gt=0)
    volume_ul: float = Field(gt=0, description="volume loaded before the run")
    dead_volume_ul: float = Field(default=20.0, ge=0, description="volume that cannot be drawn")

    @model_validator(mode="after")
    def _check(self) -> StockSpec:
        if self.species is not None and self.concentration_mol_l is None:
            raise ValueError(f"stock {self.name!r} of {self.species!r} needs concentration_mol_l")
        if self.species is None and self.concentration_mol_l is not None:
            raise ValueError(f"stock {self.name!r} has a concentration but no species")
        return self


class Deck(BaseModel):
    """Everything a liquid-handler protocol may use, checked for consistency on load."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    robot_type: RobotType
    api_level: str = Field(default="2.20", pattern=r"^2\.(2\d|[3-9]\d)$")
    trash_slot: str | None = Field(
        default=None, description="Flex only (default A3); the OT-2 trash is fixed in slot 12"
    )
    pipettes: tuple[PipetteSpec, ...] = Field(min_length=1)
    labware: tuple[LabwareSpec, ...] = Field(min_length=1)
    stocks: tuple[StockSpec, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Deck:
        for check in (_check_labware, _check_pipettes, _check_stocks):
            problem = check(self)
            if problem:
                raise ValueError(problem)
        return self

    @property
    def trash(self) -> str:
        """Slot of the trash bin."""
        return self.trash_slot or ("A3" if self.robot_type == "Flex" else "12")

    def labware_named(self, name: str) -> LabwareSpec:
        """Return labware ``name``.

        Raises:
            KeyError: Listing the deck's labware.
        """
        for item in self.labware:
            if item.name == name:
                return item
        raise KeyError(f"no labware {name!r} on the deck; it has: {self.labware_names()}")

    def labware_names(self) -> str:
        """Comma-separated labware names, for messages."""
        return ", ".join(item.name for item in self.labware)

    def stock_named(self, name: str) -> StockSpec:
        """Return stock ``name``.

        Raises:
            KeyError: Listing the deck's stocks.
        """
        for stock in self.stocks:
            if stock.name == name:
                return stock
        names = ", ".join(s.name for s in self.stocks) or "none"
        raise KeyError(f"no stock {name!r} on the deck; stocks: {names}")

    def stock_at(self, labware: str, well: str) -> StockSpec | None:
        """Return the stock loaded in ``labware``/``well``, if any."""
        return next((s for s in self.stocks if (s.labware, s.well) == (labware, well)), None)

    def pipette_for(self, volume_ul: float) -> PipetteSpec | None:
        """Return the smallest pipette able to move ``volume_ul`` in one aspiration."""
        fitting = [p for p in self.pipettes if volume_range_ul(self, p)[0] <= volume_ul]
        fitting = [p for p in fitting if volume_ul <= volume_range_ul(self, p)[1] + 1e-9]
        return min(fitting, key=lambda p: volume_range_ul(self, p)[1], default=None)

    def max_volume_ul(self) -> float:
        """The largest volume any pipette moves in one aspiration."""
        return max(volume_range_ul(self, p)[1] for p in self.pipettes)

    def ranges_text(self) -> str:
        """``p20_single_gen2 1–20 µL, p300_single_gen2 20–300 µL``, for messages."""
        ranges = [(p.load_name, *volume_range_ul(self, p)) for p in self.pipettes]
        return ", ".join(f"{name} {low:g}–{high:g} µL" for name, low, high in ranges)


def volume_range_ul(deck: Deck, pipette: PipetteSpec) -> tuple[float, float]:
    """Volumes ``pipette`` can move in one aspiration, limited by its smallest tip."""
    model = pipette.model
    tips = min(deck.labware_named(t).info().tip_volume_ul for t in pipette.tipracks)
    return model.min_volume_ul, min(model.max_volume_ul, tips)


def _check_labware(deck: Deck) -> str | None:
    names = [item.name for item in deck.labware]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        return f"labware names must be unique; repeated: {', '.join(repeated)}"
    slots = OT2_SLOTS if deck.robot_type == "OT-2" else FLEX_SLOTS
    used: dict[str, str] = {deck.trash: "the trash"}
    for item in deck.labware:
        if item.slot not in slots:
            return (
                f"labware {item.name!r}: slot {item.slot!r} is not a {deck.robot_type} deck slot "
                f"({', '.join(slots)})"
            )
        if item.slot in used:
            return f"labware {item.name!r}: slot {item.slot} is taken by {used[item.slot]}"
        used[item.slot] = repr(item.name)
        try:
            item.info()
        except ValueError as exc:
            return f"labware {item.name!r}: {exc}"
    return None


def _check_pipettes(deck: Deck) -> str | None:
    mounts = [p.mount for p in deck.pipettes]
    if len(set(mounts)) != len(mounts):
        return "two pipettes on the same mount"
    for pipette in deck.pipettes:
        model = PIPETTE_MODELS.get(pipette.load_name)
        if model is None or model.robot_type != deck.robot_type:
            known = [n for n, m in PIPETTE_MODELS.items() if m.robot_type == deck.robot_type]
            return (
                f"pipette {pipette.load_name!r} is not a supported {deck.robot_type} pipette; "
                f"supported: {', '.join(known)}"
            )
        for rack in pipette.tipracks:
            problem = _tiprack_problem(deck, pipette, rack)
            if problem:
                return problem
    return None


def _tiprack_problem(deck: Deck, pipette: PipetteSpec, rack: str) -> str | None:
    try:
        info = deck.labware_named(rack).info()
    except KeyError as exc:
        return f"pipette {pipette.load_name}: {exc.args[0]}"
    if not info.is_tiprack:
        return f"pipette {pipette.load_name}: labware {rack!r} ({info.load_name}) is not a tip rack"
    if info.tip_volume_ul < pipette.model.min_volume_ul:
        return (
            f"tip rack {rack!r}: {info.tip_volume_ul:g} µL tips are too small for "
            f"{pipette.load_name} (minimum {pipette.model.min_volume_ul:g} µL)"
        )
    flex_rack = info.load_name.startswith("opentrons_flex_")
    if flex_rack != (deck.robot_type == "Flex"):
        return (
            f"pipette {pipette.load_name}: tip rack {info.load_name} does not fit "
            f"the {deck.robot_type}"
        )
    return None


def _check_stocks(deck: Deck) -> str | None:
    names = [s.name for s in deck.stocks]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        return f"stock names must be unique; repeated: {', '.join(repeated)}"
    places: dict[tuple[str, str], str] = {}
    for stock in deck.stocks:
        try:
            info = deck.labware_named(stock.labware).info()
        except KeyError as exc:
            return f"stock {stock.name!r}: {exc.args[0]}"
        if stock.well not in info.capacity_ul:
            return f"stock {stock.name!r}: {stock.labware} has no well {stock.well}"
        if stock.volume_ul > info.capacity_ul[stock.well]:
            return (
                f"stock {stock.name!r}: {stock.volume_ul:g} µL does not fit in "
                f"{stock.labware}/{stock.well} (capacity {info.capacity_ul[stock.well]:g} µL)"
            )
        other = places.setdefault((stock.labware, stock.well), stock.name)
        if other != stock.name:
            return f"stocks {other!r} and {stock.name!r} share {stock.labware}/{stock.well}"
    return None
