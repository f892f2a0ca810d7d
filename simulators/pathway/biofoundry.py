"""A simulated biofoundry: what the robot actually did decides what grows and what is read.

:class:`Biofoundry` is the physical side of a dry run. It learns everything
from the devices' own records, never from the plan:

- the robot's command log (:meth:`Biofoundry.robot_run`): which part (the
  source plate's contents, as the program announced them to the operator)
  went into which reaction well, whether cells were added and the
  thermocycler module ran a digestion–ligation program (≥ 10 cycles between
  37 °C and 16 °C) and then a heat shock (42 °C) and an outgrowth (37 °C,
  ≥ 30 min), and which culture well each inoculum went to;
- a reaction well's parts are assembled by chaining their overhangs from the
  backbone; a set that does not close into one circle gives no plasmid, and
  a correct one still fails at the world's build failure rate;
- the incubator's record (:meth:`Biofoundry.incubate`): only incubated plates
  grow, for as long as they were incubated, at a growth temperature;
- the plate reader (:class:`BiofoundryReader`) reads OD600 and the product's
  absorbance of grown wells (the pathway model with its assay noise and
  position effects), writes them as an Agilent Gen5 export and reads that
  file back through allotropy, the path a real instrument's files take.

A well inoculated with no viable clone, or one of the few wells whose
inoculum failed (``death_rate``), does not grow: it reads as a blank.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from drivers.base import DeviceIdentity
from drivers.errors import DeviceError
from drivers.incubator import IncubationRecord, IncubatorBackend
from drivers.liquid_handler import LiquidHandlerBackend, RobotProgram, RunReport
from drivers.plate_reader import PlateReaderBackend
from drivers.plate_reader_files import PlateExportError, read_export
from planner.pathway.design import BACKBONE, NO_PROMOTER, ORDER
from simulators.pathway.gen5_export import gen5_text
from simulators.pathway.world import BuildFailure, PathwayWorld, WellReading

CELLS, RECOVERY = "A3", "A4"
CONTROLS = {"A5": "empty_vector", "A6": "reference"}
BLANK_OD, BLANK_PRODUCT = 0.045, 0.05
READS = (("OD600", 600, "absorbance_600nm"), ("Product", 472, "absorbance_472nm"))
Culture = dict[str, tuple[str, str] | None]
"""Culture well → (``reaction``, reaction well) / (``control``, strain) / ``None`` (medium)."""


@dataclass
class ReactionWell:
    """What the robot put in one reaction well, and what the block did to it."""

    parts: dict[str, float] = field(default_factory=dict)
    assembled: bool = False
    cells: bool = False
    shocked: bool = False
    recovered: bool = False


@dataclass
class Biofoundry:
    """The bench of a simulated biofoundry (see the module docstring)."""

    world: PathwayWorld
    slope_per_mg_l: float = 4.0e-4
    death_rate: float = 0.01
    designs: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    """Reaction well → the design its viable clone carries (``None``: no viable clone)."""
    cultures: dict[str, Culture] = field(default_factory=dict)
    incubations: dict[str, IncubationRecord] = field(default_factory=dict)
    grown: dict[str, tuple[str, IncubationRecord]] = field(default_factory=dict)
    """Culture plate → (incubation key, record) of its last incubation."""
    robot_key: str | None = None

    # ------------------------------------------------------------- the robot
    def robot_run(self, report: RunReport, key: str) -> None:
        """Set the bench up from a finished robot run's command log (a fresh deck per run).

        The run the bench already holds (recalled by its key) changes nothing.
        """
        if key == self.robot_key:
            return
        self.robot_key = key
        reactions, cultures = _replay(report)
        self.designs = {
            well: self._viable(reaction, f"{key}/{well}") for well, reaction in reactions.items()
        }
        self.cultures = cultures
        self.grown = {}

    def _viable(self, reaction: ReactionWell, key: str) -> dict[str, Any] | None:
        if not (reaction.assembled and reaction.shocked and reaction.recovered):
            return None
        design = self.design_of(list(reaction.parts))
        if design is None:
            return None
        try:
            self.world.build(design, key)
        except BuildFailure:
            return None
        return design

    def design_of(self, part_ids: Sequence[str]) -> dict[str, Any] | None:
        """The design whose construct these parts assemble into, if they close into one circle."""
        library = self.world.space.library
        parts = [library.get(p) for p in part_ids if p in library.ids()]
        starts = {p.overhang_5: p for p in parts}
        backbones = [p for p in parts if p.type == "backbone"]
        if len(backbones) != 1 or len(starts) != len(parts) or len(parts) != len(part_ids):
            return None
        chain = [backbones[0]]
        while len(chain) < len(parts):
            following = starts.get(chain[-1].overhang_3)
            if following is None or following in chain:
                return None
            chain.append(following)
        if chain[-1].overhang_3 != chain[0].overhang_5:
            return None
        return self._design([p.id for p in chain])

    def _design(self, order: Sequence[str]) -> dict[str, Any] | None:
        space = self.world.space
        library = space.library
        design: dict[str, Any] = {}
        genes = [p for p in order if library.get(p).type == "cds"]
        if sorted(genes) != sorted(space.genes):
            return None
        for gene in genes:
            at = order.index(gene)
            before = library.get(order[at - 2])
            design[f"{gene}_rbs"] = order[at - 1]
            design[f"{gene}_promoter"] = before.id if before.type == "promoter" else NO_PROMOTER
        names = set(space.search_space().names)
        if BACKBONE in names:
            design[BACKBONE] = order[0]
        if ORDER in names:
            design[ORDER] = "-".join(genes)
        return design

    # ------------------------------------------------------------ incubation
    def incubate(self, record: IncubationRecord, key: str) -> IncubationRecord:
        """Grow the named culture plates (only those the last robot run inoculated grow)."""
        self.incubations[key] = record
        for plate in record.labware:
            self.grown[plate] = (key, record)
        return record

    # --------------------------------------------------------------- reading
    def readings(self, plate: str, wells: Sequence[str]) -> dict[str, dict[str, float]]:
        """OD600 and product absorbance of the wells of a culture plate, as read."""
        culture = self.cultures.get(plate, {})
        grown = self.grown.get(plate)
        truths = self._truths(culture, grown[1] if grown else None)
        out = {}
        for well in wells:
            reading = WellReading(0.0, 0.0)
            source = culture.get(well)
            if grown is not None and source is not None and source in truths:
                noise_key = f"{grown[0]}/{plate}/{well}"
                if self._rng(noise_key).random() >= self.death_rate:
                    reading = self.world.noisy(truths[source], well, noise_key)
            out[well] = {
                "absorbance_600nm": BLANK_OD + reading.od600,
                "absorbance_472nm": BLANK_PRODUCT + self.slope_per_mg_l * reading.titer_mg_l,
            }
        return out

    def _truths(
        self, culture: Culture, record: IncubationRecord | None
    ) -> dict[tuple[str, str], WellReading]:
        """The noiseless culture of every living inoculum of the plate."""
        if record is None or not 25.0 <= record.temperature_c <= 39.0:
            return {}
        world = dataclasses.replace(
            self.world,
            kinetics=dataclasses.replace(self.world.kinetics, duration_h=record.duration_h),
        )
        sources = sorted({s for s in culture.values() if s is not None})
        designs: list[tuple[tuple[str, str], dict[str, Any]]] = []
        empty: list[tuple[str, str]] = []
        for source in sources:
            kind, name = source
            if kind == "reaction" and self.designs.get(name) is not None:
                designs.append((source, self.designs[name]))  # type: ignore[arg-type]
            elif kind == "control" and name == "reference":
                designs.append((source, reference_design(world)))
            elif kind == "control":
                empty.append(source)
        truths: dict[tuple[str, str], WellReading] = {}
        if designs:
            found = world.truth([d for _, d in designs])
            truths |= {s: t for (s, _), t in zip(designs, found, strict=True)}
        if empty:
            from simulators.pathway.kinetics import simulate

            bare = simulate(world.kinetics, np.zeros((1, world.kinetics.n_enzymes)))
            truths |= {s: WellReading(0.0, float(bare.od600[0])) for s in empty}
        return truths

    def _rng(self, key: str) -> np.random.Generator:
        digest = hashlib.sha256(f"{self.world.seed}|well|{key}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def reference_design(world: PathwayWorld) -> dict[str, Any]:
    """The reference strain: every gene at its middle promoter and RBS, the first backbone."""
    space = world.space.search_space()
    design: dict[str, Any] = {}
    for parameter in space.parameters:
        levels = [x for x in getattr(parameter, "levels", ()) if x != NO_PROMOTER]
        choices = levels or list(getattr(parameter, "choices", ()))
        design[parameter.name] = choices[len(choices) // 2] if levels else choices[0]
    if BACKBONE in design:
        design[BACKBONE] = world.space.backbone_parts()[0].id
    return design


def _replay(report: RunReport) -> tuple[dict[str, ReactionWell], dict[str, Culture]]:
    """Reaction wells and culture plates from a run's command log, in command order."""
    names = report.labware
    sources: dict[str, str] = {}
    reactions: dict[str, ReactionWell] = {}
    cultures: dict[str, Culture] = {}
    plate: Culture | None = None
    held: dict[str, tuple[str, str]] = {}
    for command in report.commands:
        if command.status != "succeeded":
            continue
        kind, params = command.command_type, command.params
        if kind == "comment":
            message = str(params.get("message", ""))
            if message.startswith("parts source plate "):
                well, _, part = message.removeprefix("parts source plate ").partition(": ")
                sources[well] = part
            elif message.startswith("culture plate "):
                plate = cultures.setdefault(message.split()[2], {})
        elif kind == "aspirate":
            labware = names.get(str(params["labwareId"]), "?")
            held[str(params["pipetteId"])] = (labware, str(params["wellName"]))
        elif kind == "dispense":
            origin = held.get(str(params["pipetteId"]))
            target = (names.get(str(params["labwareId"]), "?"), str(params["wellName"]))
            if origin is not None and origin != target:
                _dispensed(origin, target, float(params["volume"]), sources, reactions, plate)
        elif kind.startswith("thermocycler/"):
            _block(kind, params, reactions)
    return reactions, cultures


def _dispensed(
    origin: tuple[str, str],
    target: tuple[str, str],
    volume_ul: float,
    sources: Mapping[str, str],
    reactions: dict[str, ReactionWell],
    plate: Culture | None,
) -> None:
    (source_labware, source_well), (target_labware, target_well) = origin, target
    if target_labware == "reactions":
        reaction = reactions.setdefault(target_well, ReactionWell())
        if source_labware == "parts source plate" and source_well in sources:
            part = sources[source_well]
            reaction.parts[part] = reaction.parts.get(part, 0.0) + volume_ul
        elif source_labware == "reagents" and source_well == CELLS and reaction.assembled:
            reaction.cells = True
    elif target_labware == "culture" and plate is not None:
        if source_labware == "reactions":
            plate[target_well] = ("reaction", source_well)
        elif source_labware == "reagents" and source_well in CONTROLS:
            plate[target_well] = ("control", CONTROLS[source_well])
        else:
            plate.setdefault(target_well, None)


def _block(kind: str, params: Mapping[str, Any], reactions: dict[str, ReactionWell]) -> None:
    """What a thermocycler command does to the wells in the block."""
    steps = [(float(s["celsius"]), float(s["holdSeconds"])) for s in params.get("profile") or []]
    if kind == "thermocycler/setTargetBlockTemperature":
        steps = [(float(params["celsius"]), float(params.get("holdTimeSeconds") or 0.0))]
    digests = sum(1 for t, h in steps if abs(t - 37.0) <= 1.0 and h >= 60)
    ligations = sum(1 for t, h in steps if abs(t - 16.0) <= 1.0 and h >= 60)
    for reaction in reactions.values():
        if digests >= 10 and ligations >= 10 and reaction.parts:
            reaction.assembled = True
        if any(abs(t - 42.0) <= 1.0 for t, _ in steps) and reaction.cells:
            reaction.shocked = True
        if reaction.shocked and any(abs(t - 37.0) <= 1.0 and h >= 1800 for t, h in steps):
            reaction.recovered = True


# ------------------------------------------------------------------ backends


class BiofoundryRobot(LiquidHandlerBackend):
    """Wraps a liquid-handler backend; each successful run it reports sets up the bench."""

    def __init__(self, inner: LiquidHandlerBackend, bench: Biofoundry) -> None:
        self.inner = inner
        self.bench = bench

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
        """Run on the wrapped backend; a successful run sets up the bench."""
        return self._seen(self.inner.run(program, key, timeout_s), key)

    def recall(self, key: str) -> RunReport | None:
        """Recall from the wrapped backend; a successful run found sets up the bench."""
        report = self.inner.recall(key)
        return None if report is None else self._seen(report, key)

    def stop(self) -> None:
        """Stop the wrapped backend's run."""
        self.inner.stop()

    def _seen(self, report: RunReport, key: str) -> RunReport:
        if report.succeeded:
            self.bench.robot_run(report, key)
        return report


class SimulatedIncubator(IncubatorBackend):
    """Incubates the bench's culture plates (no waiting: the culture model covers the time)."""

    def __init__(self, bench: Biofoundry) -> None:
        self.bench = bench

    def identify(self) -> DeviceIdentity:
        """A simulated instrument."""
        return DeviceIdentity(model="simulated shaking incubator")

    def incubate(
        self,
        labware: Sequence[str],
        temperature_c: float,
        duration_h: float,
        shaking_rpm: float,
        key: str,
    ) -> IncubationRecord:
        """Grow the plates on the bench."""
        record = IncubationRecord(tuple(labware), temperature_c, duration_h, shaking_rpm)
        return self.bench.incubate(record, key)

    def recall(self, key: str) -> IncubationRecord | None:
        """The incubation run under ``key`` on this bench."""
        return self.bench.incubations.get(key)


class BiofoundryReader(PlateReaderBackend):
    """Reads the bench's culture plates through a Gen5 export file, as a real reader's."""

    def __init__(self, bench: Biofoundry, name: str) -> None:
        self.bench = bench
        self.name = name

    def identify(self) -> DeviceIdentity:
        """A simulated Synergy H1 writing Gen5 exports."""
        return DeviceIdentity(model="simulated Synergy H1 (Gen5 export)")

    def read_plate(
        self, labware: str, wells: Sequence[str], key: str
    ) -> Mapping[str, Mapping[str, float]]:
        """Read the wells, write the Gen5 export and read it back with allotropy."""
        values = self.bench.readings(labware, wells)
        with tempfile.TemporaryDirectory(prefix="dbtl-gen5-") as folder:
            path = Path(folder) / f"{labware}.txt"
            path.write_text(gen5_text(values, READS, plate=labware), encoding="utf-8")
            try:
                export = read_export(path, "agilent_gen5")
            except PlateExportError as exc:
                raise DeviceError(self.name, str(exc)) from None
        return {well: dict(export.wells[well]) for well in wells if well in export.wells}
