"""The ``pathway`` builder: a batch of genetic designs becomes one build-and-test plate.

Each design is a construct of the parts file (:class:`planner.pathway.PathwaySpace`).
Before a proposal can be approved its construct passes the assembly
pre-flight (:func:`protocols.assembly_check.preflight`: BsaI sites, overhangs
that chain, a simulated DNA Cauldron assembly), so a construct with an
internal BsaI site is refused with the part named and never reaches a plate.
A plate is the Golden Gate batch on the liquid handler (with its thermocycler
module and the inoculation of the culture plates), the incubation and the
plate reads (:mod:`protocols.pathway_plate`); readings become each
experiment's titer, OD600 and titer per OD, or the reason it has none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from datastore.repository import MeasuredValue
from lab.builders.errors import BuildConfigError, check_station
from lab.devices.lab_spec import LabSpec
from lab.specs.pathway import PathwayProtocolSpec
from planner import CandidateSet, SearchSpace
from planner.errors import PlannerError
from planner.pathway.design import Construct, PathwaySpace
from planner.pathway.parts import Part, PartsFileError
from planner.space import ParameterValue
from protocols.assembly_check import AssemblyRefused, excised_overhangs, preflight
from protocols.errors import ProtocolError
from protocols.golden_gate import GoldenGateSettings
from protocols.golden_gate_ot import RobotType
from protocols.hte import PlatePlan
from protocols.pathway_plate import (
    UNITS,
    PathwayPlateSettings,
    build_pathway_plate,
    pathway_outcomes,
)
from protocols.plate_assay import AssaySettings, StandardCurve
from protocols.plate_layout import LayoutSettings
from protocols.protocol import Protocol
from protocols.steps import RunConditions

PLATE_REACTIONS = 96
"""Reactions of one thermocycler plate: the most constructs one plate builds."""


class PathwayBuilder:
    """Designs to build-and-test plates on a biofoundry; readings to titers."""

    def __init__(self, spec: PathwayProtocolSpec, lab: LabSpec, parameter_names: list[str]) -> None:
        """Check the parts file, the devices and the parameters.

        Raises:
            BuildConfigError: Naming the key of the protocol section at fault.
        """
        self.spec = spec
        self.space = _space(spec)
        robot_type = _check_devices(spec, lab)
        self.settings = PathwayPlateSettings(
            liquid_handler=str(spec.liquid_handler),
            robot_type=robot_type,
            incubator=str(spec.incubator),
            plate_reader=str(spec.plate_reader),
            golden_gate=GoldenGateSettings(transformation=True),
            layout=LayoutSettings(
                replicates=spec.replicates, avoid_edges=spec.avoid_edges, seed=spec.seed
            ),
            temperature_c=spec.incubation.temperature_c,
            duration_h=spec.incubation.duration_h,
            shaking_rpm=spec.incubation.shaking_rpm,
        )
        self.assay = AssaySettings(
            od_quantity=spec.assay.od_quantity,
            product_quantity=spec.assay.product_quantity,
            curve=StandardCurve(spec.assay.slope_per_mg_l, spec.assay.intercept),
            dead_od=spec.assay.dead_od,
        )
        self._checked = _Preflight(self.space)

    def outputs(self) -> list[str]:
        """Titer, titer per OD, OD600, the replicates' spread and how many wells grew."""
        return list(UNITS)

    def plate_capacity(self) -> int:
        """One thermocycler plate of reactions."""
        return PLATE_REACTIONS

    def candidates(self, space: SearchSpace) -> CandidateSet:
        """Every buildable design (the parts cap applied), in the campaign's space.

        Raises:
            BuildConfigError: Too many designs to enumerate, or none within the cap.
        """
        try:
            return CandidateSet(space, self.space.candidates().table)
        except PlannerError as exc:
            raise BuildConfigError("protocol", str(exc)) from None

    def construct(self, design: Mapping[str, ParameterValue], name: str = "") -> Construct:
        """The construct of ``design``: its parts in assembly order."""
        return self.space.construct(design, name)

    def preflight(self, construct: Construct) -> None:
        """Refuse a construct that cannot assemble (remembered per set of parts).

        Raises:
            AssemblyRefused: Naming the construct, the part and the overhang.
        """
        self._checked(construct)

    def build_plate(
        self, designs: Sequence[tuple[int, Mapping[str, ParameterValue]]], name: str
    ) -> PlatePlan:
        """The build-and-test plate of ``(experiment number, design)`` pairs.

        Raises:
            ProtocolError: A construct cannot assemble, or the batch does not fit.
        """
        return build_pathway_plate(designs, self.space, self.settings, name, self.preflight)

    def build(self, design: Mapping[str, ParameterValue], name: str) -> Protocol:
        """One design alone on a plate (its construct pre-flighted): what approval checks."""
        number = name.rpartition("#")[2]
        return self.build_plate([(int(number) if number.isdigit() else 1, design)], name).protocol

    def plate_outcomes(
        self, protocol: Protocol, readings: Mapping[str, Mapping[str, float]]
    ) -> dict[int, list[MeasuredValue] | str]:
        """Each experiment's measurements (mean of its live wells), or why it has none."""
        outcomes: dict[int, list[MeasuredValue] | str] = {}
        for number, outcome in pathway_outcomes(protocol, readings, self.assay).items():
            outcomes[number] = (
                outcome
                if isinstance(outcome, str)
                else [MeasuredValue(k, v, UNITS[k]) for k, v in outcome.items()]
            )
        return outcomes

    def plate_measurements(
        self, protocol: Protocol, readings: Mapping[str, Mapping[str, float]]
    ) -> dict[int, list[MeasuredValue]]:
        """The measurements of the experiments that have some."""
        return {
            n: o
            for n, o in self.plate_outcomes(protocol, readings).items()
            if not isinstance(o, str)
        }

    def measurements(
        self, protocol: Protocol, readings: Mapping[str, float]
    ) -> list[MeasuredValue]:
        """A pathway design is only ever run on a plate: a single run measures nothing."""
        return []


class PathwayStationBuilder:
    """Designs pre-flighted and run whole on a station (the pathway world), for benchmarks."""

    def __init__(self, spec: PathwayProtocolSpec, lab: LabSpec, parameter_names: list[str]) -> None:
        """Check the parts file and the station.

        Raises:
            BuildConfigError: Naming the key of the protocol section at fault.
        """
        self.spec = spec
        self.space = _space(spec)
        check_station(lab, spec.station)
        self._checked = _Preflight(self.space)

    def outputs(self) -> list[str]:
        """As on a plate: titer, titer per OD, OD600, spread and live wells."""
        return list(UNITS)

    def candidates(self, space: SearchSpace) -> CandidateSet:
        """Every buildable design, in the campaign's space."""
        try:
            return CandidateSet(space, self.space.candidates().table)
        except PlannerError as exc:
            raise BuildConfigError("protocol", str(exc)) from None

    def construct(self, design: Mapping[str, ParameterValue], name: str = "") -> Construct:
        """The construct of ``design``: its parts in assembly order."""
        return self.space.construct(design, name)

    def build(self, design: Mapping[str, ParameterValue], name: str) -> Protocol:
        """Pre-flight the construct, then hand the design to the station."""
        construct = self.space.construct(design, name)
        self._checked(construct)
        conditions: dict[str, str | float] = {k: str(v) for k, v in design.items()}
        conditions["replicates"] = float(self.spec.replicates)
        step = RunConditions(device=str(self.spec.station), conditions=conditions)
        return Protocol(
            name=name,
            steps=(step,),
            metadata={"builder": "pathway", "construct": list(construct.part_ids)},
        )

    def measurements(
        self, protocol: Protocol, readings: Mapping[str, float]
    ) -> list[MeasuredValue]:
        """The station's values; a design none of whose wells grew is a failure, not a zero.

        Raises:
            ProtocolError: No well grew (with the construct named).
        """
        if not readings.get("live_wells"):
            parts = " > ".join(protocol.metadata.get("construct", []))
            raise ProtocolError(
                f"construct {protocol.name} ({parts}): no growth in any of its "
                f"{self.spec.replicates} wells; no viable clone (failed assembly or "
                "transformation), not a zero titer"
            )
        return [MeasuredValue(k, float(v), UNITS[k]) for k, v in readings.items() if k in UNITS]


class _Preflight:
    """The assembly pre-flight of a space's constructs, remembered per set of parts."""

    def __init__(self, space: PathwaySpace) -> None:
        self.space = space
        self.refused: dict[tuple[str, ...], str | None] = {}

    def __call__(self, construct: Construct) -> None:
        key = construct.part_ids
        if key not in self.refused:
            try:
                preflight(construct, self.space.library)
                self.refused[key] = None
            except AssemblyRefused as exc:
                self.refused[key] = str(exc)
        problem = self.refused[key]
        if problem is not None:
            raise AssemblyRefused(f"{construct.describe()}: {problem}")


def _space(spec: PathwayProtocolSpec) -> PathwaySpace:
    """The design space, its parts' overhangs checked (see :func:`overhang_clashes`).

    Raises:
        BuildConfigError: A bad or unreadable parts file, an unknown part, or a clash.
    """
    try:
        space = spec.space()
    except (PartsFileError, PlannerError) as exc:
        raise BuildConfigError("protocol.parts_file", str(exc)) from None
    problem = overhang_clashes(space)
    if problem:
        raise BuildConfigError("protocol.parts_file", problem)
    return space


def overhang_clashes(space: PathwaySpace) -> str | None:
    """Why the parts' overhangs cannot assemble the space's constructs in one order, if so.

    Every position of the construct (backbone, then promoter, RBS, CDS and
    terminator of each gene) must start with overhangs no other position
    starts with, and every part's declared overhangs must be those its
    sequence leaves. An internal BsaI site is left to each construct's pre-flight (it
    refuses only the constructs that use the part). Order and operon choices
    move parts between positions, so those spaces are checked per construct only.
    """
    for part in space.library.parts:  # a wrong declaration would hide a part from the levels
        problem = _declaration_problem(part)
        if problem:
            return problem
    if space.vary_order or space.allow_operon:
        return None
    positions: list[list[Part]] = [space.backbone_parts()]
    for gene, terminator in zip(space.genes, space.terminator_parts(), strict=False):
        positions += [space.promoter_parts(gene), space.rbs_parts(gene)]
        positions += [[space.library.get(gene)], [terminator]]
    used: dict[str, tuple[int, str]] = {}
    for index, parts in enumerate(positions):
        for part in parts:
            five = _five_prime(part)
            if five is None:
                continue
            other = used.setdefault(five, (index, part.id))
            if other[0] != index:
                return (
                    f"overhang {five} starts both part {other[1]} and part {part.id}, at "
                    "different positions of the construct: the parts could join in more than "
                    "one order; give each position its own overhang"
                )
    return None


def _five_prime(part: Part) -> str | None:
    """The 5' overhang the part leaves (as declared when its sequence cannot tell)."""
    if not part.sequence:
        return part.overhang_5
    try:
        return excised_overhangs(part)[0]
    except AssemblyRefused:  # an internal site: refused per construct
        return part.overhang_5


def _declaration_problem(part: Part) -> str | None:
    """Why the part's declared overhangs differ from those its sequence leaves, if they do."""
    if not part.sequence:
        return None
    try:
        five, three = excised_overhangs(part)
    except AssemblyRefused:
        return None
    for declared, found, side in ((part.overhang_5, five, "5'"), (part.overhang_3, three, "3'")):
        if declared is not None and declared != found:
            return (
                f"part {part.id}: declared {side} overhang {declared} but its sequence "
                f"leaves {found}; fix the parts file"
            )
    return None


def make_pathway_builder(
    spec: PathwayProtocolSpec, lab: LabSpec, parameter_names: list[str]
) -> PathwayBuilder | PathwayStationBuilder:
    """The plate builder, or the station builder when the section names a station."""
    if spec.station is not None:
        return PathwayStationBuilder(spec, lab, parameter_names)
    return PathwayBuilder(spec, lab, parameter_names)


def _check_devices(spec: PathwayProtocolSpec, lab: LabSpec) -> RobotType:
    """Check the three devices exist with the right kinds; return the robot type."""
    devices = {d.name: d for d in lab.devices}
    assert spec.liquid_handler is not None  # the spec names the plate devices
    for key, kind in (
        ("liquid_handler", "liquid_handler"),
        ("incubator", "incubator"),
        ("plate_reader", "plate_reader"),
    ):
        name = getattr(spec, key)
        if name not in devices or devices[name].kind != kind:
            options = [n for n, d in devices.items() if d.kind == kind]
            raise BuildConfigError(
                f"protocol.{key}",
                f"lab {lab.name!r} has no {kind.replace('_', ' ')} {name!r}; its "
                f"{kind.replace('_', ' ')}s: {', '.join(options) or 'none'}",
            )
    return devices[spec.liquid_handler].robot_deck().robot_type
