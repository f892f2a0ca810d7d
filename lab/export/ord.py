"""From a stored campaign to Open Reaction Database records (``dbtl export --format ord``).

Reads the campaign's own spec and lab as stored, then, for each completed
experiment (streamed a page at a time): its inputs from the molecule
parameters' SMILES, with amounts from the well's content when a plate
protocol ran it (µmol from the final concentrations and the well volume; the
solvent by volume); its conditions (temperature, flow, residence time and the
other parameters); the devices that ran it and the compiled protocol; the
measurements with the analysing instrument named; and who approved it.
A campaign with no molecule parameters still exports, with what it has.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from datastore import Datastore, DatastoreError, Session
from datastore import repository as repo
from datastore.ord_builder import ReactionFactory, Validate
from datastore.ord_export import (
    Curator,
    OrdComponent,
    OrdOutcome,
    OrdReaction,
    dataset_header,
    describe_errors,
    write_dataset,
)
from datastore.ord_rows import completed_pages, protocol_record
from datastore.provenance import software_versions
from datastore.provenance_models import ProtocolRecord
from datastore.stream import ExperimentFacts
from lab.devices.lab_spec import LabSpec
from lab.specs.campaign import CampaignSpec
from protocols.deck import StockSpec

ANALYSIS_TYPES = {"analyzer": "LC", "plate_reader": "CUSTOM", "station": "CUSTOM"}
CATALYST_WORDS = ("catal", "pallad", "ligand", "metal")
REAGENT_WORDS = ("base", "acid", "additive", "oxidant", "reductant")


@dataclass(frozen=True)
class CampaignFacts:
    """What every record of one campaign shares."""

    name: str
    spec: CampaignSpec
    raw_spec: dict[str, Any]
    lab: LabSpec | None
    version: str

    @cached_property
    def molecules(self) -> dict[str, dict[str, str]]:
        """Molecule parameters: name → {label: SMILES}."""
        return {p.name: dict(p.choices) for p in self.spec.parameters if p.type == "molecule"}

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Per-export memo of what many records share (platform text, inputs by design)."""
        return {}

    @cached_property
    def analyser(self) -> tuple[str, str, str]:
        """(analysis key, ORD analysis type, details) of the campaign's measuring device."""
        return _analyser(self)

    @cached_property
    def limiting_role(self) -> str | None:
        """The plate recipe's limiting role, if the campaign has one."""
        limiting = (self.raw_spec.get("protocol") or {}).get("limiting") or {}
        return limiting.get("role")


def campaign_facts(session: Session, name: str) -> CampaignFacts:
    """Read the stored spec and lab of campaign ``name``.

    Raises:
        NotFoundError: No such campaign.
        DatastoreError: Its stored spec cannot be read by this version.
    """
    campaign = repo.get_campaign(session, name)
    raw = yaml.safe_load(campaign.spec_yaml) or {}
    try:
        spec = CampaignSpec.model_validate(raw)
        lab = (
            LabSpec.model_validate(yaml.safe_load(campaign.lab_yaml)) if campaign.lab_yaml else None
        )
    except ValueError as exc:
        raise DatastoreError(f"campaign {name!r}: stored spec cannot be read: {exc}") from exc
    return CampaignFacts(name, spec, raw, lab, software_versions()["dbtl"])


def export_ord(
    store: Datastore,
    name: str,
    output: Path,
    curator: Curator | None = None,
    validate: Validate = "sample",
) -> int:
    """Write one ORD ``Reaction`` per completed experiment of ``name`` to ``output``.

    Records are checked with ``ord_schema.validations`` as ``validate`` asks
    (``all`` records, a ``sample`` with every distinct input, setup and
    conditions, or ``none``: see :mod:`datastore.ord_builder`) before the file
    appears; an invalid record stops the export with the experiments named.

    Returns:
        How many reactions were written.

    Raises:
        DatastoreError: A record fails validation, or the file cannot be written.
    """
    factory = ReactionFactory(curator or Curator(), validate)
    with store.session() as session:
        facts = campaign_facts(session, name)
        description = facts.spec.description or f"dbtl campaign {name}"
        header = dataset_header(f"dbtl campaign {name}", description.strip())
        count = write_dataset(output, header, _reactions(session, facts, factory))
    if factory.errors:
        output.unlink(missing_ok=True)
        raise DatastoreError(
            f"{len(factory.errors)} ORD validation error(s) in the records of {name}, nothing "
            f"written: {describe_errors(factory.errors)}"
        )
    return count


def _reactions(
    session: Session, facts: CampaignFacts, factory: ReactionFactory
) -> Iterator[object]:
    campaign_id = repo.get_campaign(session, facts.name).id or 0
    protocols: dict[str, ProtocolRecord | None] = {}
    for page in completed_pages(session, campaign_id):
        for experiment in page:
            record = _protocol(session, protocols, experiment.protocol_sha256)
            yield factory.build(reaction_facts(facts, experiment, record))


def _protocol(
    session: Session, cache: dict[str, ProtocolRecord | None], sha256: str | None
) -> ProtocolRecord | None:
    if sha256 is None:
        return None
    if sha256 not in cache:
        if len(cache) > 64:
            cache.clear()
        cache[sha256] = protocol_record(session, sha256)
    return cache[sha256]


def reaction_facts(
    facts: CampaignFacts, experiment: ExperimentFacts, protocol: ProtocolRecord | None
) -> OrdReaction:
    """The ORD facts of one completed experiment."""
    params = experiment.parameters
    well = (
        (protocol.protocol_metadata.get("wells") or {}).get(experiment.well) if protocol else None
    )
    analysis_key, analysis_type, analysis_details = facts.analyser
    inputs_key = _inputs_key(facts, params, protocol, experiment.well if well else None)
    return OrdReaction(
        identifier=f"{facts.name}#{experiment.number}",
        inputs=_inputs(facts, params, well, inputs_key),
        outcomes=[OrdOutcome(n, v, u) for n, (v, u) in sorted(experiment.measurements.items())],
        experimenter=experiment.approved_by or "unknown",
        started_at=experiment.started_at,
        finished_at=experiment.finished_at,
        automation_platform=_platform(facts, protocol),
        automation_code=_code(facts, protocol),
        temperature_c=_number(params.get("temperature_c")),
        flow_rate_ml_min=_flow_ml_min(params, protocol),
        residence_time_min=_residence_min(params),
        notes=_details(facts, params, experiment.well),
        analysis_key=analysis_key,
        analysis_type=analysis_type,
        analysis_details=analysis_details,
        dbtl_version=facts.version,
        inputs_key=inputs_key,
    )


def _inputs_key(
    facts: CampaignFacts, params: dict[str, Any], protocol: ProtocolRecord | None, well: str | None
) -> tuple[Any, ...] | None:
    """Equal for experiments whose ORD inputs are equal (see :func:`_inputs`)."""
    if well is not None and protocol is not None and facts.lab is not None:
        return ("well", protocol.sha256, well)
    if facts.molecules:
        return ("inputs", *(str(params.get(name)) for name in facts.molecules))
    return None


def _inputs(
    facts: CampaignFacts,
    params: dict[str, Any],
    well: dict[str, Any] | None,
    key: tuple[Any, ...] | None,
) -> dict[str, list[OrdComponent]]:
    """The inputs of one experiment; shared (never copied) by experiments of the same ``key``."""
    if key is not None and key in facts.memo:
        return facts.memo[key]
    if well is not None and facts.lab is not None:
        inputs = _well_inputs(facts, well)
    else:
        inputs = {
            name: [
                OrdComponent(
                    str(params.get(name)), choices.get(str(params.get(name))), _role(facts, name)
                )
            ]
            for name, choices in facts.molecules.items()
        }
    if inputs and key is not None:
        if len(facts.memo) > 10_000:
            facts.memo.clear()
        facts.memo[key] = inputs
    if inputs:
        return inputs
    design = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
    return {
        "design": [OrdComponent(f"reaction mixture of {facts.name} ({design})", None, "REACTANT")]
    }


def _well_inputs(facts: CampaignFacts, well: dict[str, Any]) -> dict[str, list[OrdComponent]]:
    volumes: dict[str, float] = well.get("volumes_ul", {})
    total_ul = sum(volumes.values())
    concentrations: dict[str, float] = well.get("concentrations_mol_l", {})
    inputs: dict[str, list[OrdComponent]] = {}
    for role, stock_name in well.get("stocks_by_role", {}).items():
        stock = _stock(facts.lab, stock_name)
        smiles = stock.smiles if stock is not None else None
        ord_role = _role(facts, role)
        if stock is not None and stock.species is not None:
            umol = concentrations.get(stock.species, 0.0) * total_ul
            part = OrdComponent(stock_name, smiles, ord_role, moles_umol=umol)
        else:
            part = OrdComponent(stock_name, smiles, ord_role, volume_ul=volumes.get(stock_name))
        inputs[role] = [
            OrdComponent(part.name, part.smiles, part.role, part.moles_umol, part.volume_ul,
                         is_limiting=role == facts.limiting_role)
        ]  # fmt: skip
    return inputs


def _stock(lab: LabSpec | None, name: str) -> StockSpec | None:
    """The stock called ``name`` on any deck of ``lab``, or ``None``."""
    for device in lab.devices if lab else ():
        for stock in device.deck.stocks if device.deck is not None else ():
            if stock.name == name:
                return stock
    return None


def _role(facts: CampaignFacts, role: str) -> str:
    lowered = role.lower()
    if "solvent" in lowered:
        return "SOLVENT"
    if role == facts.limiting_role:
        return "REACTANT"
    if any(word in lowered for word in CATALYST_WORDS):
        return "CATALYST"
    if any(word in lowered for word in REAGENT_WORDS):
        return "REAGENT"
    return "REACTANT"


def _platform(facts: CampaignFacts, protocol: ProtocolRecord | None) -> str:
    key = ("platform", protocol.sha256 if protocol else None)
    if key not in facts.memo:
        facts.memo[key] = _platform_text(facts, protocol)
    return str(facts.memo[key])


def _platform_text(facts: CampaignFacts, protocol: ProtocolRecord | None) -> str:
    used = {s.get("device") for s in protocol.steps} if protocol else set()
    devices = [d for d in (facts.lab.devices if facts.lab else ()) if not used or d.name in used]
    lab = facts.lab.name if facts.lab else "unknown lab"
    listed = ", ".join(f"{d.name} ({d.kind}, {d.driver})" for d in devices)
    return f"dbtl {facts.version} on lab {lab}: {listed}"


def _code(facts: CampaignFacts, protocol: ProtocolRecord | None) -> str | None:
    if protocol is None:
        return None
    if protocol.compiled:
        return protocol.compiled
    key = ("steps", protocol.sha256)
    if key not in facts.memo:  # written once per protocol of the export
        facts.memo[key] = json.dumps(
            {"name": protocol.name, "steps": protocol.steps}, sort_keys=True
        )
    return str(facts.memo[key])


def _analyser(facts: CampaignFacts) -> tuple[str, str, str]:
    for device in facts.lab.devices if facts.lab else ():
        if device.kind in ANALYSIS_TYPES:
            kind = str(device.kind)
            return device.name, ANALYSIS_TYPES[kind], f"{kind} {device.name} ({device.driver})"
    return "analysis", "CUSTOM", "measurement recorded by dbtl"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _flow_ml_min(params: dict[str, Any], protocol: ProtocolRecord | None) -> float | None:
    """The design's flow rate, else the sum of the protocol's pump set-points."""
    if (given := _number(params.get("flow_rate_ml_min"))) is not None:
        return given
    rates = [
        s["flow_rate_ml_min"]
        for s in (protocol.steps if protocol else [])
        if s.get("kind") == "set_flow_rate"
    ]
    return float(sum(rates)) if rates else None


def _residence_min(params: dict[str, Any]) -> float | None:
    if (minutes := _number(params.get("residence_time_min"))) is not None:
        return minutes
    seconds = _number(params.get("residence_time_s"))
    return seconds / 60 if seconds is not None else None


def _details(facts: CampaignFacts, params: dict[str, Any], well: str | None) -> str:
    try:
        key = ("details", well, *params.items())
        if key not in facts.memo:
            if len(facts.memo) > 10_000:
                facts.memo.clear()
            facts.memo[key] = _details_text(facts, params, well)
    except TypeError:  # a design value that cannot be a key (a list): no memo
        return _details_text(facts, params, well)
    return str(facts.memo[key])


def _details_text(facts: CampaignFacts, params: dict[str, Any], well: str | None) -> str:
    shown = {k: v for k, v in params.items() if k not in facts.molecules}
    where = f"well {well}; " if well else ""
    return where + "design: " + (", ".join(f"{k}={v}" for k, v in sorted(shown.items())) or "-")
