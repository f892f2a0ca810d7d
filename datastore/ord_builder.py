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
from collections.abc import Callable, Hashable
from typing import Any, Literal

from datastore.ord_export import (
    Curator,
    OrdComponent,
    OrdReaction,
    _add_input,
    _add_measurement,
    _outcome_scaffold,
    _set_conditions,
    _set_provenance,
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

    def build(self, facts: OrdReaction) -> reaction_pb2.Reaction:
        """The record of one experiment (checked as the validation mode asks)."""
        reaction = reaction_pb2.Reaction(reaction_id=fast_reaction_id(facts.identifier))
        reaction.identifiers.add(
            type=reaction_pb2.ReactionIdentifier.CUSTOM,
            details="dbtl experiment (campaign#number)",
            value=facts.identifier,
        )
        for name, components in facts.inputs.items():
            key = ("input", name, tuple(components))
            part = self._part(key, facts, _input_of(name, components))
            reaction.inputs[name].CopyFrom(part.inputs[name])
        self._copy(reaction, "setup", facts, (facts.automation_platform, facts.automation_code))
        conditions = (facts.temperature_c, facts.flow_rate_ml_min, facts.conditions_details)
        self._copy(reaction, "conditions", facts, conditions)
        outcome = reaction.outcomes.add()
        scaffold = (facts.residence_time_min, facts.analysis_key, facts.analysis_type,
                    facts.analysis_details)  # fmt: skip
        outcome.CopyFrom(self._part(("outcome", *scaffold), facts, _scaffold_of(facts)).outcomes[0])
        for measured in facts.outcomes:
            _add_measurement(outcome.products[0], measured, facts.analysis_key)
        _set_provenance(reaction, facts, self.curator)
        if facts.notes:
            reaction.notes.procedure_details = facts.notes
        self._check(reaction, facts.identifier)
        return reaction

    def _copy(
        self, reaction: Any, field: str, facts: OrdReaction, content: tuple[Any, ...]
    ) -> None:
        setter = _set_setup if field == "setup" else _set_conditions
        part = self._part((field, *content), facts, lambda r: setter(r, facts))
        if part.HasField(field):
            getattr(reaction, field).CopyFrom(getattr(part, field))

    def _part(self, key: Hashable, facts: OrdReaction, fill: Callable[[Any], None]) -> Any:
        """A scratch reaction holding one shared part, built (and checked) on first use."""
        part = self._parts.get(key)
        if part is None:
            part = reaction_pb2.Reaction()
            fill(part)
            if self.validate == "sample":
                for message in _submessages(part):
                    self._record(facts.identifier, validation_errors(message, self.findings))
            if len(self._parts) >= PART_ENTRIES:
                self._parts.clear()
            self._parts[key] = part
        return part

    def _check(self, reaction: Any, identifier: str) -> None:
        self._count += 1
        sampled = self._count <= SAMPLE_FIRST or self._count % SAMPLE_EVERY == 0
        if self.validate == "all" or (self.validate == "sample" and sampled):
            self.validated += 1
            self._record(identifier, validation_errors(reaction, self.findings))

    def _record(self, identifier: str, problems: list[str]) -> None:
        self.errors += [(f"#{identifier.rsplit('#', 1)[-1]}", e) for e in problems]


def _input_of(name: str, components: list[OrdComponent]) -> Callable[[Any], None]:
    return lambda reaction: _add_input(reaction, name, components)


def _scaffold_of(facts: OrdReaction) -> Callable[[Any], None]:
    return lambda reaction: _outcome_scaffold(reaction, facts)


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
