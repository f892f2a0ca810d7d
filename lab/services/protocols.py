"""Compile and pre-flight protocols before anything runs: one design, or a whole HTE plate.

A plate is built from the batch the loop would run next (:mod:`.planning`) or
from a designs file, checked against the deck (volumes, wells, stocks, tips)
and the lab's limits, then compiled to an Opentrons protocol, optionally
simulated in ``opentrons.simulate``.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lab.builders.binding import BuildConfigError, make_builder
from lab.builders.capabilities import CompilesOpentronsPlates
from lab.devices.lab_spec import LabSpec
from lab.devices.labfile import load_lab
from lab.review.decisions import protocol_check
from lab.running.campaigns import LoadedCampaign
from lab.services.planning import Batch, preview_next_batch
from lab.specs.campaign import CampaignSpec
from lab.specs.designs_csv import read_designs
from lab.specs.yamlio import SpecError, load_model_and_tree, locate
from planner.space import ParameterValue
from protocols.errors import ProtocolError
from protocols.hte import PlatePlan
from protocols.opentrons import CompiledProtocol, compile_opentrons
from protocols.validation import check_protocol


@dataclass(frozen=True)
class Preflight:
    """A design's protocol on a lab: the problem found (``None``: passed) and its steps."""

    problem: str | None
    steps: list[str]

    @property
    def passed(self) -> bool:
        """Whether the protocol builds and keeps every limit of the lab."""
        return self.problem is None


def preflight(
    spec: CampaignSpec, lab: LabSpec, design: Mapping[str, ParameterValue], number: int
) -> Preflight:
    """Build experiment ``number``'s protocol for ``design``; check it against the lab's limits."""
    problem, steps = protocol_check(spec, lab, design, number)
    return Preflight(problem, steps)


@dataclass(frozen=True)
class PlateCampaign(LoadedCampaign):
    """A loaded campaign whose builder compiles each plate to one Opentrons program."""

    builder: CompilesOpentronsPlates


@dataclass(frozen=True)
class CompiledPlate:
    """A plate ready to inspect: its designs, the plate plan and the Opentrons protocol."""

    batch: Batch
    plan: PlatePlan
    compiled: CompiledProtocol


def load_plate_campaign(spec_path: Path, lab_path: Path | None = None) -> PlateCampaign:
    """The campaign as the loop loads it (``load_lab``'s driver checks and relative paths).

    Args:
        spec_path: The campaign YAML (its ``protocol.builder`` must be ``hte_plate``).
        lab_path: Another lab file than the campaign's own.

    Raises:
        SpecError: A file is malformed or missing, or the campaign builds no plates.
    """
    spec, tree = load_model_and_tree(
        spec_path, CampaignSpec, {"base_dir": spec_path.resolve().parent}
    )
    lab_file = lab_path or (spec_path.parent / spec.lab).resolve()
    if not lab_file.is_file():
        where = locate(spec_path, tree, "lab") if lab_path is None else "--lab"
        raise SpecError(f"{where}: lab file {str(lab_file)!r} not found")
    lab = load_lab(lab_file)
    try:
        builder = make_builder(spec, lab)
    except BuildConfigError as exc:
        raise SpecError(f"{locate(spec_path, tree, exc.where)}: {exc.message}") from None
    if not isinstance(builder, CompilesOpentronsPlates):
        raise SpecError(
            f"{spec_path}: protocol.builder is {spec.protocol.builder!r}; "
            "`dbtl protocol compile` compiles hte_plate campaigns"
        )
    text = spec_path.read_text(encoding="utf-8")
    return PlateCampaign(spec_path, text, spec, lab, builder)


def compile_plate(campaign: PlateCampaign, batch: Batch) -> CompiledPlate:
    """Build ``batch`` as one plate, pre-flight it against the lab and compile it.

    Raises:
        ProtocolError: The plate breaks the deck or the lab's limits (every
            violation listed); nothing is compiled.
    """
    robot = campaign.builder.plate_robot()
    plan = campaign.builder.build_plate(batch, name=f"{campaign.spec.name}-plate-{batch[0][0]}")
    check_protocol(plan.protocol, campaign.lab.limits())
    deck = campaign.lab.device(robot).robot_deck()
    compiled = compile_opentrons(plan.protocol, deck, robot)
    return CompiledPlate(batch, plan, compiled)


def compile_next_plate(
    campaign: PlateCampaign, db: str | None = None, designs: Path | None = None
) -> CompiledPlate:
    """Compile the plate of ``designs`` (a CSV), or else of the batch the loop would run next.

    Raises:
        SpecError: A bad designs file, or the budget is used up.
        ProtocolError: See :func:`compile_plate`.
    """
    params = campaign.spec.parameters
    batch = read_designs(designs, params) if designs else preview_next_batch(campaign, db)
    return compile_plate(campaign, batch)


def simulate(compiled: CompiledProtocol) -> int:
    """Run a compiled protocol in ``opentrons.simulate``; return how many commands it ran.

    Raises:
        ProtocolError: The simulator rejects the protocol.
    """
    import opentrons.simulate

    try:
        runlog, _ = opentrons.simulate.simulate(io.StringIO(compiled.text), compiled.filename)
    except Exception as exc:  # the simulator raises many kinds; each means "this would fail"
        raise ProtocolError(f"opentrons.simulate rejects {compiled.filename}: {exc}") from None
    return len(runlog)
