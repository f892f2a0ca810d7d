"""Open Reaction Database records of completed experiments, built with ``ord-schema``.

One ``Reaction`` per completed experiment, from plain facts (:class:`OrdReaction`)
that the application gathers from the stored rows: inputs (SMILES and amounts),
conditions, setup (automated, platform, compiled protocol), outcomes with the
analysis named, and provenance (experimenter = the approving account, times,
the dbtl version). :func:`write_dataset` streams the binary form (``.pb``,
``.pb.gz``) one reaction at a time, so memory stays bounded for any campaign:
a ``Dataset`` on the wire is its scalar fields followed by one length-delimited
``reactions`` field per reaction. ``.pbtxt`` and ``.json`` are written whole.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from datastore.errors import DatastoreError

try:  # ord-schema is a core dependency; an environment without it gets a clear message
    from google.protobuf.internal.encoder import _VarintBytes
    from ord_schema import message_helpers, validations
    from ord_schema.proto import dataset_pb2, reaction_pb2
except ImportError as _missing:  # pragma: no cover - exercised only without the package
    _IMPORT_ERROR: ImportError | None = _missing
else:
    _IMPORT_ERROR = None

_UNCACHED: tuple[type, ...] = (reaction_pb2.Reaction,) if _IMPORT_ERROR is None else ()
"""Messages never looked up in the cache: each reaction is unique (its id)."""
CACHE_ENTRIES = 200_000
"""Findings kept before the cache starts afresh (bounds memory on any campaign)."""
_SCALAR_MAP_VALUES = (str, bytes, int, float, bool)
STREAMED_SUFFIXES = (".pb", ".pb.gz")
WHOLE_SUFFIXES = (".pbtxt", ".json", ".pbtxt.gz", ".json.gz")
DATASET_REACTIONS_FIELD = 3
"""Field number of ``Dataset.reactions`` (length-delimited)."""


@dataclass(frozen=True)
class OrdComponent:
    """One compound of a reaction input: identity, amount and role."""

    name: str
    smiles: str | None
    role: str  # REACTANT, REAGENT, CATALYST, SOLVENT
    moles_umol: float | None = None
    volume_ul: float | None = None
    is_limiting: bool = False


@dataclass(frozen=True)
class OrdOutcome:
    """One measured quantity of the product (or of the reaction)."""

    name: str
    value: float
    unit: str | None


@dataclass(frozen=True)
class OrdReaction:
    """What one completed experiment contributes to its ORD record."""

    identifier: str
    inputs: dict[str, list[OrdComponent]]
    outcomes: list[OrdOutcome]
    experimenter: str
    started_at: datetime | None
    finished_at: datetime | None
    automation_platform: str
    automation_code: str | None = None
    temperature_c: float | None = None
    flow_rate_ml_min: float | None = None
    residence_time_min: float | None = None
    conditions_details: str = ""
    analysis_key: str = "analysis"
    analysis_type: str = "CUSTOM"
    analysis_details: str = ""
    notes: str = ""
    dbtl_version: str = ""
    inputs_key: Hashable | None = None
    """Equal for records with equal ``inputs`` (lets a builder reuse them); ``None``: unknown."""


@dataclass(frozen=True)
class Curator:
    """Who the records are created by (ORD requires an email for record creation)."""

    username: str = "dbtl"
    email: str = "dbtl-export@example.org"
    organization: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now().astimezone())


def require_ord() -> None:
    """Raise a one-line message when ``ord-schema`` is not installed."""
    if _IMPORT_ERROR is not None:
        raise DatastoreError(
            f"ORD export needs the ord-schema package ({_IMPORT_ERROR}); install it with "
            "`pip install -c constraints.txt ord-schema` (it needs protobuf < 6)"
        )


def reaction_id(identifier: str) -> str:
    """A stable ORD reaction id (``ord-`` + 32 hex) derived from the experiment's identifier."""
    return "ord-" + uuid.uuid5(uuid.NAMESPACE_URL, f"dbtl:{identifier}").hex


def build_reaction(facts: OrdReaction, curator: Curator) -> reaction_pb2.Reaction:
    """The ORD ``Reaction`` of one experiment."""
    require_ord()
    reaction = reaction_pb2.Reaction(reaction_id=reaction_id(facts.identifier))
    reaction.identifiers.add(
        type=reaction_pb2.ReactionIdentifier.CUSTOM,
        details="dbtl experiment (campaign#number)",
        value=facts.identifier,
    )
    for name, components in facts.inputs.items():
        _add_input(reaction, name, components)
    _set_setup(reaction, facts)
    _set_conditions(reaction, facts)
    _add_outcome(reaction, facts)
    _set_provenance(reaction, facts, curator)
    if facts.notes:
        reaction.notes.procedure_details = facts.notes
    return reaction


def _add_input(reaction: reaction_pb2.Reaction, name: str, parts: list[OrdComponent]) -> None:
    target = reaction.inputs[name]
    for part in parts:
        compound = message_helpers.build_compound(
            smiles=part.smiles, name=part.name, role=part.role.lower()
        )
        if part.moles_umol is not None:
            compound.amount.moles.CopyFrom(
                reaction_pb2.Moles(value=part.moles_umol, units=reaction_pb2.Moles.MICROMOLE)
            )
        elif part.volume_ul is not None:
            compound.amount.volume.CopyFrom(
                reaction_pb2.Volume(value=part.volume_ul, units=reaction_pb2.Volume.MICROLITER)
            )
        else:
            compound.amount.unmeasured.CopyFrom(
                reaction_pb2.UnmeasuredAmount(
                    type=reaction_pb2.UnmeasuredAmount.CUSTOM,
                    details="amount not recorded by the campaign",
                )
            )
        if part.is_limiting:
            compound.is_limiting = True
        target.components.append(compound)


def _set_setup(reaction: reaction_pb2.Reaction, facts: OrdReaction) -> None:
    reaction.setup.is_automated = True
    reaction.setup.automation_platform = facts.automation_platform
    if facts.automation_code:
        reaction.setup.automation_code["protocol"].CopyFrom(
            reaction_pb2.Data(
                string_value=facts.automation_code, description="compiled device program"
            )
        )


def _set_conditions(reaction: reaction_pb2.Reaction, facts: OrdReaction) -> None:
    conditions = reaction.conditions
    if facts.temperature_c is not None:
        conditions.temperature.setpoint.CopyFrom(
            reaction_pb2.Temperature(
                value=facts.temperature_c, units=reaction_pb2.Temperature.CELSIUS
            )
        )
    if facts.flow_rate_ml_min is not None or facts.residence_time_min is not None:
        conditions.flow.type = reaction_pb2.FlowConditions.PLUG_FLOW_REACTOR
    if facts.flow_rate_ml_min is not None:
        conditions.flow.details = f"total flow rate {facts.flow_rate_ml_min:g} mL/min"
    if facts.conditions_details:
        conditions.details = facts.conditions_details


def _add_outcome(reaction: reaction_pb2.Reaction, facts: OrdReaction) -> None:
    product = _outcome_scaffold(reaction, facts)
    for measured in facts.outcomes:
        _add_measurement(product, measured, facts.analysis_key)


def _outcome_scaffold(
    reaction: reaction_pb2.Reaction, facts: OrdReaction
) -> reaction_pb2.ProductCompound:
    """Add the outcome without its measurements (time, analysis, product); return the product."""
    outcome = reaction.outcomes.add()
    if facts.residence_time_min is not None:
        outcome.reaction_time.CopyFrom(
            reaction_pb2.Time(value=facts.residence_time_min, units=reaction_pb2.Time.MINUTE)
        )
    analysis = outcome.analyses[facts.analysis_key]
    analysis.type = reaction_pb2.Analysis.AnalysisType.Value(facts.analysis_type)
    analysis.details = facts.analysis_details or facts.analysis_key
    product = outcome.products.add(is_desired_product=True)
    product.reaction_role = reaction_pb2.ReactionRole.PRODUCT
    product.identifiers.add(type=reaction_pb2.CompoundIdentifier.NAME, value="desired product")
    return product


def _add_measurement(
    product: reaction_pb2.ProductCompound, measured: OrdOutcome, analysis_key: str
) -> None:
    measurement = product.measurements.add(analysis_key=analysis_key)
    if "yield" in measured.name.lower() and measured.unit == "%":
        measurement.type = reaction_pb2.ProductMeasurement.YIELD
        measurement.percentage.value = measured.value
        measurement.details = measured.name
        return
    measurement.type = reaction_pb2.ProductMeasurement.CUSTOM
    unit = f" [{measured.unit}]" if measured.unit else ""
    measurement.details = f"{measured.name}{unit}"
    measurement.float_value.value = measured.value


def _set_provenance(reaction: reaction_pb2.Reaction, facts: OrdReaction, curator: Curator) -> None:
    provenance = reaction.provenance
    provenance.experimenter.username = facts.experimenter
    if facts.started_at is not None:
        provenance.experiment_start.value = facts.started_at.isoformat()
    created = provenance.record_created
    created.time.value = curator.created_at.isoformat()
    created.person.username = curator.username
    created.person.email = curator.email
    if curator.organization:
        created.person.organization = curator.organization
    finished = facts.finished_at.isoformat() if facts.finished_at else "unknown"
    created.details = (
        f"exported by dbtl {facts.dbtl_version}; experiment finished {finished}; "
        f"approved by {facts.experimenter}"
    )


def validation_errors(message: Any, cache: dict[bytes, list[str]] | None = None) -> list[str]:
    """Every error ``ord_schema.validations`` finds in ``message`` (warnings are not errors).

    Each message is checked by ``validations.validate_message`` one level at a
    time, its submessages recursively, as ``recurse=True`` does. What a
    validator finds depends on its message's content alone, so with a
    ``cache`` the findings of a submessage (with everything below it) are
    reused for every identical submessage of later records: the inputs,
    compounds (whose structures are parsed), setup and conditions that a
    campaign's reactions share are checked once.
    """
    require_ord()
    if cache is None or isinstance(message, _UNCACHED):
        return _walk(message, cache)
    key = type(message).__name__.encode() + message.SerializeToString(deterministic=True)
    found = cache.get(key)
    if found is None:
        found = _walk(message, cache)
        if len(cache) >= CACHE_ENTRIES:
            cache.clear()
        cache[key] = found
    return found


def _walk(message: Any, cache: dict[bytes, list[str]] | None) -> list[str]:
    errors = list(validations.validate_message(message, recurse=False, raise_on_error=False).errors)
    for descriptor, value in message.ListFields():
        if descriptor.type != descriptor.TYPE_MESSAGE:
            continue
        if descriptor.message_type.GetOptions().map_entry:
            items = list(value.values())
        elif descriptor.label == descriptor.LABEL_REPEATED:
            items = list(value)
        else:
            items = [value]
        for item in items:
            if not isinstance(item, _SCALAR_MAP_VALUES):
                errors += validation_errors(item, cache)
    return errors


def dataset_header(name: str, description: str) -> dataset_pb2.Dataset:
    """The dataset's scalar fields, with a stable id from its name."""
    require_ord()
    dataset_id = "ord_dataset-" + uuid.uuid5(uuid.NAMESPACE_URL, f"dbtl:{name}").hex
    return dataset_pb2.Dataset(name=name, description=description, dataset_id=dataset_id)


def write_dataset(
    path: Path, header: dataset_pb2.Dataset, reactions: Iterable[reaction_pb2.Reaction | bytes]
) -> int:
    """Write a ``Dataset`` of ``reactions`` to ``path``; return how many were written.

    A reaction is a message or its deterministic serialization (as
    :class:`datastore.ord_builder.ReactionFactory` writes it).

    ``.pb`` and ``.pb.gz`` are streamed; ``.pbtxt`` and ``.json`` (optionally
    gzipped) are built whole. The file appears only when complete.

    Raises:
        DatastoreError: Unknown suffix, missing folder, or an unwritable file.
    """
    name = path.name
    if not name.endswith(STREAMED_SUFFIXES + WHOLE_SUFFIXES):
        raise DatastoreError(
            f"cannot tell the ORD format of {path}: name it .pb, .pb.gz, .pbtxt or .json"
        )
    if not path.parent.is_dir():
        raise DatastoreError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        if not name.endswith(STREAMED_SUFFIXES):
            return _write_whole(path, header, reactions)
        partial = path.with_name(name + ".partial")
        opener = gzip.open if name.endswith(".gz") else open
        with opener(partial, "wb") as out:
            count = _stream(out, header, reactions)
        partial.replace(path)
    except OSError as exc:
        path.with_name(name + ".partial").unlink(missing_ok=True)
        raise DatastoreError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return count


def _write_whole(
    path: Path, header: dataset_pb2.Dataset, reactions: Iterable[reaction_pb2.Reaction | bytes]
) -> int:
    """Text formats: one message in memory, written atomically by ord-schema."""
    whole = dataset_pb2.Dataset()
    whole.CopyFrom(header)
    for reaction in reactions:
        if isinstance(reaction, bytes):  # serialized already (datastore.ord_builder)
            whole.reactions.add().MergeFromString(reaction)
        else:
            whole.reactions.append(reaction)
    message_helpers.save_message(whole, path)
    return len(whole.reactions)


def _stream(
    out: IO[bytes] | gzip.GzipFile, header: dataset_pb2.Dataset, reactions: Iterable[object]
) -> int:
    """Fields before ``reactions``, each reaction as a length-delimited field 3, then the rest.

    In field-number order, as serializing the whole ``Dataset`` would: the file
    is byte-identical to ``Dataset.SerializeToString(deterministic=True)``.
    """
    before, after = _split_header(header)
    out.write(before)
    tag = _VarintBytes((DATASET_REACTIONS_FIELD << 3) | 2)
    count = 0
    for reaction in reactions:
        if isinstance(reaction, bytes):  # serialized already (datastore.ord_builder)
            body = reaction
        else:
            body = reaction.SerializeToString(deterministic=True)  # type: ignore[attr-defined]
        out.write(tag + _VarintBytes(len(body)) + body)
        count += 1
    out.write(after)
    return count


def _split_header(header: dataset_pb2.Dataset) -> tuple[bytes, bytes]:
    """The header's serialized fields numbered below ``reactions``, and those above."""
    before, after = dataset_pb2.Dataset(), dataset_pb2.Dataset()
    before.CopyFrom(header)
    after.CopyFrom(header)
    before.ClearField("reactions")
    after.ClearField("reactions")
    for descriptor, _ in header.ListFields():
        target = after if descriptor.number < DATASET_REACTIONS_FIELD else before
        target.ClearField(descriptor.name)
    return before.SerializeToString(deterministic=True), after.SerializeToString(deterministic=True)


def read_dataset(path: Path) -> dataset_pb2.Dataset:
    """Read an ORD ``Dataset`` written by :func:`write_dataset` (any of its formats)."""
    require_ord()
    return message_helpers.load_message(path, dataset_pb2.Dataset)


def reaction_yields(dataset: dataset_pb2.Dataset) -> dict[str, dict[str, float]]:
    """``{identifier: {measurement: value}}`` of a dataset, to compare with stored results."""
    out: dict[str, dict[str, float]] = {}
    for reaction in dataset.reactions:
        key = reaction.identifiers[0].value
        values: dict[str, float] = {}
        for outcome in reaction.outcomes:
            for product in outcome.products:
                for m in product.measurements:
                    kind = m.WhichOneof("value")
                    name = m.details.split(" [")[0]
                    values[name] = getattr(m, kind).value if kind else float("nan")
        out[key] = values
    return out


def describe_errors(errors: Sequence[tuple[str, str]], limit: int = 5) -> str:
    """``identifier: error`` lines of the first ``limit`` invalid records."""
    shown = "; ".join(f"{who}: {what}" for who, what in errors[:limit])
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    return shown + more
