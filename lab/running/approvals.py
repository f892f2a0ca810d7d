"""Approval policies: who may let a proposal run.

A policy judges one proposal (its design and whether its protocol fits the
lab's limits) and returns a verdict: approve (as the policy), hold for a
person, or reject (only for protocols that can never run safely). Nothing
runs without an approval event; under ``chemist`` only a person approves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from lab.specs.campaign import ApprovalSpec, SafeEnvelope
from planner.space import ParameterValue

POLICY_PREFIX = "policy:"
LIMITS_ACTOR = "policy:limits"

Decision = Literal["approve", "hold", "reject"]


@dataclass(frozen=True)
class Verdict:
    """A policy's decision about one proposal, with the reasons shown to reviewers."""

    decision: Decision
    actor: str
    reasons: tuple[str, ...] = ()


class ApprovalPolicy(Protocol):
    """Judges proposals."""

    name: str

    def judge(self, design: Mapping[str, ParameterValue], protocol_problem: str | None) -> Verdict:
        """Decide about one proposal whose protocol check gave ``protocol_problem``."""
        ...

    def may_approve(self, actor: str) -> bool:
        """Whether an approval by ``actor`` lets an experiment run under this policy."""
        ...


def is_person(actor: str) -> bool:
    """Whether ``actor`` is a person (not a policy)."""
    return not actor.startswith(POLICY_PREFIX)


def envelope_flags(design: Mapping[str, ParameterValue], envelope: SafeEnvelope) -> list[str]:
    """Every way ``design`` leaves the safe envelope (empty when inside)."""
    flags = []
    for name, (low, high) in envelope.ranges.items():
        value = design.get(name)
        if not isinstance(value, int | float) or not low <= float(value) <= high:
            flags.append(f"{name}={value} outside safe range [{low:g}, {high:g}]")
    for name, allowed in envelope.allowed.items():
        if design.get(name) not in allowed:
            flags.append(
                f"{name}={design.get(name)} not among allowed {', '.join(map(str, allowed))}"
            )
    return flags


class AutoPolicy:
    """Approves everything the lab can run safely (dry runs, CI)."""

    name = "auto"

    def judge(self, design: Mapping[str, ParameterValue], protocol_problem: str | None) -> Verdict:
        """Approve unless the protocol breaks a limit."""
        if protocol_problem:
            return Verdict("reject", LIMITS_ACTOR, (protocol_problem,))
        return Verdict("approve", "policy:auto")

    def may_approve(self, actor: str) -> bool:
        """Any approval counts."""
        return True


class ChemistPolicy:
    """Holds every proposal for a person."""

    name = "chemist"

    def judge(self, design: Mapping[str, ParameterValue], protocol_problem: str | None) -> Verdict:
        """Hold for review; reject only what the lab can never run."""
        if protocol_problem:
            return Verdict("reject", LIMITS_ACTOR, (protocol_problem,))
        return Verdict("hold", "policy:chemist", ("awaiting a chemist's review",))

    def may_approve(self, actor: str) -> bool:
        """Only people approve."""
        return is_person(actor)


class RulesPolicy:
    """Approves inside a declared safe envelope; escalates the rest to a person."""

    name = "rules"

    def __init__(self, envelope: SafeEnvelope) -> None:
        self.envelope = envelope

    def judge(self, design: Mapping[str, ParameterValue], protocol_problem: str | None) -> Verdict:
        """Approve inside the envelope, hold with the flags outside it."""
        if protocol_problem:
            return Verdict("reject", LIMITS_ACTOR, (protocol_problem,))
        flags = envelope_flags(design, self.envelope)
        if flags:
            return Verdict("hold", "policy:rules", tuple(flags))
        return Verdict("approve", "policy:rules")

    def may_approve(self, actor: str) -> bool:
        """People, or this policy itself."""
        return is_person(actor) or actor == "policy:rules"


def make_policy(spec: ApprovalSpec) -> ApprovalPolicy:
    """Return the policy a campaign declares."""
    if spec.policy == "chemist":
        return ChemistPolicy()
    if spec.policy == "rules":
        return RulesPolicy(spec.envelope)
    return AutoPolicy()
