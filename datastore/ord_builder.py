"""Reactions of one campaign built fast: every shared submessage is built (and checked) once.

The records of a campaign share most of their content: the same few inputs
(compounds by SMILES, amounts), the same setup (platform, compiled program),
conditions and analysis. :class:`ReactionFactory` builds each distinct part
once with the same helpers as :func:`datastore.ord_export.build_reaction` and
copies it into every record that has it (a C-level ``CopyFrom``), so a record
costs its own few fields: id, measurements, times, approver, notes. The
result equals ``build_reaction`` field for field (tested).

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
from collections.abc import Hashable
from typing import Any, Literal

from datastore.ord_export import (
    Curator,
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


def fast_reaction_id(identifier: str) -> str:
    """``reaction_id(identifier)`` without building a ``UUID`` object (same value: tested)."""
    digest = bytearray(hashlib.sha1(_NAMESPACE + f"dbtl:{identifier}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    return "ord-" + digest.hex()


class ReactionFactory:
    """Builds the ORD ``Reaction`` of each experiment of one campaign, reusing shared parts.

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
        self._parts: dict[Hashable, Any] = {}
        self._count = 0
        self._curator_part = _curator_part(curator)

    def build(self, facts: OrdReaction) -> reaction_pb2.Reaction:
        """The record of one experiment (checked as the validation mode asks)."""
        reaction = reaction_pb2.Reaction(reaction_id=fast_reaction_id(facts.identifier))
        reaction.MergeFrom(self._template(facts))
        reaction.identifiers.add(
            type=reaction_pb2.ReactionIdentifier.CUSTOM,
            details="dbtl experiment (campaign#number)",
            value=facts.identifier,
        )
        product = reaction.outcomes[0].products[0]
        for measured in facts.outcomes:
            _add_measurement(product, measured, facts.analysis_key)
        self._set_provenance(reaction, facts)
        if facts.notes:
            reaction.notes.procedure_details = facts.notes
        self._check(reaction, facts.identifier)
        return reaction

    def _set_provenance(self, reaction: reaction_pb2.Reaction, facts: OrdReaction) -> None:
        """What ``_set_provenance`` sets, with the curator's part parsed from bytes built once."""
        provenance = reaction.provenance
        provenance.MergeFromString(self._curator_part)
        provenance.experimenter.username = facts.experimenter
        if facts.started_at is not None:
            provenance.experiment_start.value = facts.started_at.isoformat()
        finished = facts.finished_at.isoformat() if facts.finished_at else "unknown"
        provenance.record_created.details = (
            f"exported by dbtl {facts.dbtl_version}; experiment finished {finished}; "
            f"approved by {facts.experimenter}"
        )

    def _template(self, facts: OrdReaction) -> reaction_pb2.Reaction:
        """What records with these inputs, setup, conditions and analysis share, built once.

        In ``sample`` mode each of its parts is validated when first built
        (identical parts of other templates reuse the findings).
        """
        inputs = facts.inputs_key
        if inputs is None:
            inputs = tuple((name, tuple(parts)) for name, parts in facts.inputs.items())
        key = (inputs, facts.automation_platform, facts.automation_code, facts.temperature_c,
               facts.flow_rate_ml_min, facts.conditions_details, facts.residence_time_min,
               facts.analysis_key, facts.analysis_type, facts.analysis_details)  # fmt: skip
        template = self._parts.get(key)
        if template is None:
            template = reaction_pb2.Reaction()
            for name, components in facts.inputs.items():
                _add_input(template, name, components)
            _set_setup(template, facts)
            _set_conditions(template, facts)
            _outcome_scaffold(template, facts)
            if self.validate == "sample":
                for message in _submessages(template):
                    self._record(facts.identifier, validation_errors(message, self.findings))
            if len(self._parts) >= PART_ENTRIES:
                self._parts.clear()
            self._parts[key] = template
        return template

    def _check(self, reaction: Any, identifier: str) -> None:
        self._count += 1
        sampled = self._count <= SAMPLE_FIRST or self._count % SAMPLE_EVERY == 0
        if self.validate == "all" or (self.validate == "sample" and sampled):
            self.validated += 1
            self._record(identifier, validation_errors(reaction, self.findings))

    def _record(self, identifier: str, problems: list[str]) -> None:
        self.errors += [(f"#{identifier.rsplit('#', 1)[-1]}", e) for e in problems]


def _curator_part(curator: Curator) -> bytes:
    """The serialized ``ReactionProvenance`` fields every record shares: who created it and when."""
    provenance = reaction_pb2.ReactionProvenance()
    created = provenance.record_created
    created.time.value = curator.created_at.isoformat()
    created.person.username = curator.username
    created.person.email = curator.email
    if curator.organization:
        created.person.organization = curator.organization
    return provenance.SerializeToString(deterministic=True)


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
