"""A batch of pathway designs as one build-and-test plate: assemble, transform, grow, read.

:func:`build_pathway_plate` turns ``(experiment number, design)`` pairs into
one protocol of three kinds of steps:

1. ``run_robot_program`` on the liquid handler: the Golden Gate batch
   (equimolar parts, master mix, water, the thermocycler module's
   digestion–ligation program), the transformation in the block, and the
   inoculation of the culture plates laid out with replicates, controls
   (empty vector, reference strain, medium blanks) and seeded random
   positions (:mod:`protocols.golden_gate_ot`, :mod:`protocols.culture`);
2. ``incubate`` the culture plates;
3. ``read_plate`` each culture plate (OD600 and the product's absorbance).

Every construct passes the assembly pre-flight (given as ``preflight``)
before it is put on a plate. :func:`pathway_outcomes` turns the readings
(keyed ``<culture plate>/<well>``, or by well alone when one plate is read)
into each experiment's titer (standard curve, blank-corrected), OD600 and
titer per OD, the mean over its live replicate wells; an experiment none
of whose wells grew fails with that reason, never a zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from planner.pathway.design import Construct, PathwaySpace
from protocols.culture import CulturePlan, plan_culture
from protocols.errors import ProtocolError
from protocols.golden_gate import GoldenGateSettings, plan_golden_gate
from protocols.golden_gate_ot import compile_golden_gate
from protocols.hte import PlatePlan
from protocols.plate_assay import AssaySettings, WellResult, titers
from protocols.plate_layout import LayoutSettings, layout_plates
from protocols.protocol import Protocol
from protocols.steps import Incubate, ReadPlate, RunRobotProgram, Step

Outcome = dict[str, float] | str
"""An experiment's measured values, or why it has none."""
UNITS = {
    "titer_mg_l": "mg/L",
    "titer_per_od": "mg/L/OD",
    "od600": "OD",
    "titer_sd_mg_l": "mg/L",
    "live_wells": "wells",
}


@dataclass(frozen=True)
class PathwayPlateSettings:
    """Devices and recipe of a pathway plate."""

    liquid_handler: str
    robot_type: Literal["OT-2", "Flex"]
    incubator: str
    plate_reader: str
    golden_gate: GoldenGateSettings = field(
        default_factory=lambda: GoldenGateSettings(transformation=True)
    )
    layout: LayoutSettings = field(default_factory=LayoutSettings)
    temperature_c: float = 30.0
    duration_h: float = 24.0
    shaking_rpm: float = 250.0
    medium_ul: float = 150.0
    inoculum_ul: float = 10.0


def construct_name(number: int) -> str:
    """The construct name of experiment ``number``."""
    return f"e{number}"


def build_pathway_plate(
    designs: Sequence[tuple[int, Mapping[str, Any]]],
    space: PathwaySpace,
    settings: PathwayPlateSettings,
    name: str,
    preflight: Callable[[Construct], object],
) -> PlatePlan:
    """The protocol of one build-and-test plate, and experiment → culture wells.

    Raises:
        ProtocolError: A construct that cannot assemble (the part and overhang
            named), more than 96 constructs, or doses that do not fit.
    """
    numbers = [n for n, _ in designs]
    if not designs or len(set(numbers)) != len(numbers):
        raise ProtocolError("a pathway plate needs designs with distinct experiment numbers")
    constructs = [space.construct(d, construct_name(n)) for n, d in designs]
    for construct in constructs:
        preflight(construct)
    assembly = plan_golden_gate(constructs, space.library, settings.golden_gate)
    reaction_wells = {r.construct.name: r.well for r in assembly.reactions}
    layout_seed = LayoutSettings(
        replicates=settings.layout.replicates,
        controls=settings.layout.controls,
        avoid_edges=settings.layout.avoid_edges,
        seed=settings.layout.seed * 100_003 + min(numbers),
    )
    layout = layout_plates([c.name for c in constructs], layout_seed)
    culture = plan_culture(layout, reaction_wells, settings.medium_ul, settings.inoculum_ul)
    compiled = compile_golden_gate(assembly, settings.robot_type, name, culture)
    labels = tuple(p.label for p in culture.plates)
    steps: list[Step] = [
        RunRobotProgram(
            device=settings.liquid_handler,
            filename=compiled.filename,
            robot_type=settings.robot_type,
            text=compiled.text,
            constructs=tuple((c.name, c.part_ids) for c in constructs),
        ),
        Incubate(
            device=settings.incubator,
            labware=labels,
            temperature_c=settings.temperature_c,
            duration_h=settings.duration_h,
            shaking_rpm=settings.shaking_rpm,
        ),
    ]
    steps += [
        ReadPlate(
            device=settings.plate_reader,
            labware=p.label,
            wells=tuple(w.well for w in p.wells),
            label=p.label,
        )
        for p in culture.plates
    ]
    metadata = _metadata(designs, constructs, reaction_wells, culture)
    well_map = {n: " ".join(culture.wells_of(construct_name(n))) for n in numbers}
    return PlatePlan(Protocol(name=name, steps=tuple(steps), metadata=metadata), well_map, {})


def _metadata(
    designs: Sequence[tuple[int, Mapping[str, Any]]],
    constructs: Sequence[Construct],
    reaction_wells: Mapping[str, str],
    culture: CulturePlan,
) -> dict[str, Any]:
    controls: dict[str, dict[str, list[str]]] = {}
    for plate in culture.plates:
        for w in plate.wells:
            if w.role != "sample":
                controls.setdefault(plate.label, {}).setdefault(w.role, []).append(w.well)
    return {
        "builder": "pathway",
        "constructs": {
            str(n): {
                "name": c.name,
                "parts": list(c.part_ids),
                "reaction_well": reaction_wells[c.name],
                "culture_wells": culture.wells_of(c.name),
            }
            for (n, _), c in zip(designs, constructs, strict=True)
        },
        "controls": controls,
    }


def pathway_outcomes(
    protocol: Protocol, readings: Mapping[str, Mapping[str, float]], assay: AssaySettings
) -> dict[int, Outcome]:
    """Each experiment's values (mean of its live wells), or why it has none.

    Raises:
        ProtocolError: The protocol is not a pathway plate, or a well was not read.
    """
    meta = protocol.metadata
    if meta.get("builder") != "pathway":
        raise ProtocolError(f"protocol {protocol.name} is not a pathway plate")
    results, plate_problems = _plate_results(meta, readings, assay)
    outcomes: dict[int, Outcome] = {}
    for number, entry in meta["constructs"].items():
        wells = entry["culture_wells"]
        problem = next((plate_problems[w.split("/")[0]] for w in wells if w.split("/")[0] in
                        plate_problems), None)  # fmt: skip
        outcomes[int(number)] = problem or _experiment(entry["name"], wells, results)
    return outcomes


def _plate_results(
    meta: Mapping[str, Any], readings: Mapping[str, Mapping[str, float]], assay: AssaySettings
) -> tuple[dict[str, WellResult], dict[str, str]]:
    """Every read well's result (``plate/well`` keys) and each failed plate's reason."""
    results: dict[str, WellResult] = {}
    problems: dict[str, str] = {}
    samples: dict[str, list[str]] = {}
    for entry in meta["constructs"].values():
        for qualified in entry["culture_wells"]:
            plate, well = qualified.split("/")
            samples.setdefault(plate, []).append(well)
    for plate, wells in samples.items():
        controls = meta["controls"].get(plate, {})
        empty = controls.get("empty_vector", [])
        plain = {w.split("/")[1]: v for w, v in readings.items() if w.startswith(plate + "/")}
        if len(samples) == 1:  # one plate read: its readings are keyed by well alone
            plain |= {w: v for w, v in readings.items() if "/" not in w}
        found = titers(plain, [*wells, *empty], controls.get("blank", []), assay)
        results |= {f"{plate}/{r.well}": r for r in found}
        if empty and all(results[f"{plate}/{w}"].failure for w in empty):
            problems[plate] = (
                f"culture plate {plate}: not even the empty-vector control grew "
                f"({', '.join(empty)}); the plate was not incubated or the medium is bad"
            )
    return results, problems


def _experiment(name: str, wells: Sequence[str], results: Mapping[str, WellResult]) -> Outcome:
    live = [results[w] for w in wells if results[w].failure is None]
    if not live:
        ods = ", ".join(f"{w} {results[w].od600:.3f}" for w in wells)
        return (
            f"construct {name}: no growth in any of its {len(wells)} wells (OD600 above blank: "
            f"{ods}); no viable clone (failed assembly or transformation), not a zero titer"
        )
    titer = np.array([r.titer_mg_l for r in live], dtype=float)
    values = {
        "titer_mg_l": float(titer.mean()),
        "titer_per_od": float(np.mean([r.titer_per_od or 0.0 for r in live])),
        "od600": float(np.mean([r.od600 or 0.0 for r in live])),
        "live_wells": float(len(live)),
    }
    if len(live) > 1:
        values["titer_sd_mg_l"] = float(titer.std(ddof=1))
    return values
