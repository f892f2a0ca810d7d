"""Reactions of one campaign built fast: every shared submessage is built (and checked) once.

The records of a campaign share most of their content: the same few inputs
(compounds by SMILES, amounts), the same setup (platform, compiled program),
conditions and analysis. :class:`ReactionFactory` builds each distinct part
once with the same helpers as :func:`datastore.ord_export.build_reaction`
and serializes it once (a :class:`Template` per design); a record is then
written as bytes, its own few fields (id, identifier, measurements, times,
approver) spliced in at their place in the wire format
(:mod:`datastore.ord_wire`), with no message built per record. The bytes are
those of serializing ``build_reaction``'s message (tested, edge values
included).

Validation modes (``dbtl export --validate``):

- ``all``: every record is walked by ``ord_schema.validations`` (shared
  submessages' findings reused through the content-keyed cache);
- ``sample``: every distinct shared part (each input with its compounds and
  SMILES, setup, conditions, outcome scaffold) is validated when first built,
  and whole records are validated for the first :data:`SAMPLE_FIRST` and then
  one in :data:`SAMPLE_EVERY`;
- ``none``: nothing is checked.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from datastore import ord_wire as wire
from datastore.ord_export import (
    Curator,
    OrdOutcome,
    OrdReaction,
    _add_input,
    _add_measurement,
    _outcome_scaffold,
    _set_conditions,
    _set_setup,
    reaction_pb2,
    require_ord,
    validation_errors,
)

Validate = Literal["all", "sample", "none"]
VALIDATE_MODES: tuple[Validate, ...] = ("all", "sample", "none")
SAMPLE_FIRST = 100
"""Records validated whole at the start of a ``sample`` export."""
SAMPLE_EVERY = 100
"""After those, one record in this many is validated whole."""
PART_ENTRIES = 50_000
"""Distinct shared parts kept before a cache starts afresh (bounds memory)."""
_NAMESPACE = uuid.NAMESPACE_URL.bytes
_Parts = tuple[bytes, tuple[bytes, bytes, bytes, bytes]]
"""A template's inputs, setup and conditions, and its outcome scaffold split around products."""


def fast_reaction_id(identifier: str) -> str:
    """``reaction_id(identifier)`` without building a ``UUID`` object (same value: tested)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE + f"dbtl:{identifier}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return "ord-" + digest.hex()


@dataclass(frozen=True)
class Template:
    """What the records of one design share, serialized: see :meth:`ReactionFactory.template`."""

    body: bytes
    """Fields 2-5 of the ``Reaction`` (inputs, setup, conditions, notes), as written."""
    outcome_below: bytes
    """The outcome's fields before ``products`` (the reaction time)."""
    outcome_above: bytes
    """The outcome's fields after ``products`` (the analyses)."""
    product_below: bytes
    """The product's fields before ``measurements`` (identifiers, desired)."""
    product_above: bytes
    """The product's fields after ``measurements`` (its role)."""
    analysis_key: str
    dbtl_version: str
    identifier: str
    """The experiment this template was first built for (named in its validation errors)."""


class ReactionFactory:
    """Builds the ORD ``Reaction`` of each experiment of one campaign, reusing shared parts.

    A record is written as bytes: the :class:`Template` of its design (built
    and serialized once) with its own fields spliced in (id, identifier,
    measurements, provenance), byte for byte what serializing the message
    ``build_reaction`` builds gives (tested).

    Args:
        curator: Who creates the records.
        validate: ``all``, ``sample`` or ``none`` (see the module docstring).
    """

    def __init__(self, curator: Curator, validate: Validate = "sample") -> None:
        require_ord()
        if validate not in VALIDATE_MODES:
            raise ValueError(f"validate must be one of {', '.join(VALIDATE_MODES)}: {validate!r}")
        self.curator = curator
        self.validate = validate
        self.findings: dict[bytes, list[str]] = {}
        self.errors: list[tuple[str, str]] = []
        self.validated = 0
        self._parts: dict[Hashable, _Parts] = {}
        self._measured: dict[tuple[str, str | None, str], bytes] = {}
        self._count = 0
        self._record_created = _record_created(curator)
        self._identifier = _identifier_part()
        self._experimenters: dict[str, bytes] = {}

    def build(self, facts: OrdReaction) -> reaction_pb2.Reaction:
        """The record of one experiment as a message (checked as the validation mode asks)."""
        return reaction_pb2.Reaction.FromString(self.encode_facts(facts))

    def encode_facts(self, facts: OrdReaction) -> bytes:
        """The serialized record of one experiment (checked as the validation mode asks)."""
        measured = [(o.name, o.value, o.unit) for o in facts.outcomes]
        return self.encode(
            self.template(facts), facts.identifier, measured, facts.experimenter,
            facts.started_at, facts.finished_at,
        )  # fmt: skip

    def template(self, facts: OrdReaction) -> Template:
        """What every record with these facts' inputs, setup, conditions, analysis and notes shares.

        Only those fields of ``facts`` are read. Identical parts of different
        templates are built (and, in ``sample`` mode, validated) once.
        """
        key = _parts_key(facts)
        parts = self._parts.get(key)
        if parts is None:
            parts = self._build_parts(facts)
            if len(self._parts) >= PART_ENTRIES:
                self._parts.clear()
            self._parts[key] = parts
        shared, (outcome_below, outcome_above, product_below, product_above) = parts
        notes = b""
        if facts.notes:
            notes = wire.length_delimited(5, wire.text(9, facts.notes))
        return Template(shared + notes, outcome_below, outcome_above, product_below,
                        product_above, facts.analysis_key, facts.dbtl_version,
                        facts.identifier)  # fmt: skip

    def _build_parts(self, facts: OrdReaction) -> _Parts:
        """Inputs, setup and conditions serialized; the outcome scaffold split around products."""
        scratch = reaction_pb2.Reaction()
        for name, components in facts.inputs.items():
            _add_input(scratch, name, components)
        _set_setup(scratch, facts)
        _set_conditions(scratch, facts)
        _outcome_scaffold(scratch, facts)
        if self.validate == "sample":
            for message in _submessages(scratch):
                self._record(facts.identifier, validation_errors(message, self.findings))
        outcome = scratch.outcomes[0]
        product = outcome.products[0]
        outcome_below, outcome_above = wire.split_serialized(outcome, 3)
        product_below, product_above = wire.split_serialized(product, 3)
        scratch.ClearField("outcomes")
        shared = scratch.SerializeToString(deterministic=True)
        return shared, (outcome_below, outcome_above, product_below, product_above)

    def encode(
        self,
        template: Template,
        identifier: str,
        measured: Iterable[tuple[str, float, str | None]],
        experimenter: str,
        started_at: datetime | None,
        finished_at: datetime | None,
    ) -> bytes:
        """The serialized record of one experiment of ``template``'s design.

        Args:
            template: From :meth:`template`.
            identifier: ``campaign#number``.
            measured: (name, value, unit) of each measurement, in the record's order.
            experimenter: Who approved it.
            started_at: When it started running, if known.
            finished_at: When it finished, if known.
        """
        product = template.product_below
        for name, value, unit in measured:
            product += self._measurement(name, value, unit, template.analysis_key)
        product += template.product_above
        outcome = template.outcome_below + wire.length_delimited(3, product)
        record = b"".join((
            wire.length_delimited(1, self._identifier + wire.text(3, identifier)),
            template.body,
            wire.length_delimited(8, outcome + template.outcome_above),
            wire.length_delimited(9, self._provenance(template, experimenter, started_at,
                                                      finished_at)),
            wire.text(10, fast_reaction_id(identifier)),
        ))  # fmt: skip
        self._check(record, identifier)
        return record

    def _measurement(self, name: str, value: float, unit: str | None, analysis_key: str) -> bytes:
        """One ``ProductMeasurement``: its fixed fields built once per name, unit and analysis."""
        key = (name, unit, analysis_key)
        lead = self._measured.get(key)
        if lead is None:
            lead = _measurement_lead(name, unit, analysis_key)
            self._measured[key] = lead
        packed = wire.float32(1, value)
        if packed is None:  # NaN, infinite or beyond 32 bits: the runtime decides
            scratch = reaction_pb2.ProductCompound()
            _add_measurement(scratch, OrdOutcome(name, value, unit), analysis_key)
            packed_measurement = scratch.measurements[0].SerializeToString(deterministic=True)
            return wire.length_delimited(3, packed_measurement)
        return lead + packed

    def _provenance(
        self,
        template: Template,
        experimenter: str,
        started_at: datetime | None,
        finished_at: datetime | None,
    ) -> bytes:
        """What ``_set_provenance`` sets, with the curator's part serialized once."""
        finished = finished_at.isoformat() if finished_at else "unknown"
        details = (
            f"exported by dbtl {template.dbtl_version}; experiment finished {finished}; "
            f"approved by {experimenter}"
        )
        out = self._experimenters.get(experimenter)
        if out is None:
            out = wire.length_delimited(1, wire.text(1, experimenter))
            if len(self._experimenters) < PART_ENTRIES:
                self._experimenters[experimenter] = out
        if started_at is not None:
            out += wire.length_delimited(3, wire.text(1, started_at.isoformat()))
        return out + wire.length_delimited(7, self._record_created + wire.text(3, details))

    def _check(self, record: bytes, identifier: str) -> None:
        self._count += 1
        sampled = self._count <= SAMPLE_FIRST or self._count % SAMPLE_EVERY == 0
        if self.validate == "all" or (self.validate == "sample" and sampled):
            self.validated += 1
            reaction = reaction_pb2.Reaction.FromString(record)
            self._record(identifier, validation_errors(reaction, self.findings))

    def _record(self, identifier: str, problems: list[str]) -> None:
        self.errors += [(f"#{identifier.rsplit('#', 1)[-1]}", e) for e in problems]


def _parts_key(facts: OrdReaction) -> Hashable:
    """Equal for facts whose inputs, setup, conditions and outcome scaffold are equal."""
    inputs = facts.inputs_key
    if inputs is None:
        inputs = tuple((name, tuple(parts)) for name, parts in facts.inputs.items())
    return (inputs, facts.automation_platform, facts.automation_code, facts.temperature_c,
            facts.flow_rate_ml_min, facts.conditions_details, facts.residence_time_min,
            facts.analysis_key, facts.analysis_type, facts.analysis_details)  # fmt: skip


def _measurement_lead(name: str, unit: str | None, analysis_key: str) -> bytes:
    """The bytes of a measurement field up to its value's float.

    A finite value's submessage (percentage or float value) is always one
    5-byte float field, so everything before it has a fixed length.

    Built with ``_add_measurement`` on a scratch value, so the kind (yield as
    a percentage, else a float) and the details are decided in one place.
    """
    message = reaction_pb2.ProductCompound()
    _add_measurement(message, OrdOutcome(name, 1.0, unit), analysis_key)
    measurement = message.measurements[0]
    number = measurement.DESCRIPTOR.fields_by_name[measurement.WhichOneof("value") or ""].number
    prefix, _after = wire.split_serialized(measurement, number)
    value_head = wire.tag(number, wire.WIRE_LEN) + wire.varint(5)
    body_size = len(prefix) + len(value_head) + 5
    return wire.tag(3, wire.WIRE_LEN) + wire.varint(body_size) + prefix + value_head


def _identifier_part() -> bytes:
    """The experiment identifier's fixed fields (its value, field 3, follows)."""
    return reaction_pb2.ReactionIdentifier(
        type=reaction_pb2.ReactionIdentifier.CUSTOM, details="dbtl experiment (campaign#number)"
    ).SerializeToString(deterministic=True)


def _record_created(curator: Curator) -> bytes:
    """The serialized ``RecordEvent`` fields every record shares: who created it and when."""
    created = reaction_pb2.RecordEvent()
    created.time.value = curator.created_at.isoformat()
    created.person.username = curator.username
    created.person.email = curator.email
    if curator.organization:
        created.person.organization = curator.organization
    return created.SerializeToString(deterministic=True)


def _submessages(part: Any) -> list[Any]:
    """The messages set on a scratch reaction (its one shared part)."""
    found: list[Any] = []
    for descriptor, value in part.ListFields():
        if descriptor.message_type.GetOptions().map_entry:
            found += list(value.values())
        elif descriptor.label == descriptor.LABEL_REPEATED:
            found += list(value)
        else:
            found.append(value)
    return found
