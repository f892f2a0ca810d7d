"""The chemist's side of the approval gate: list, approve (optionally edited) and reject.

Every decision is one transaction: the status change and its event (who,
when, what, before/after values, comment or reason). A decision that cannot
be taken — unknown experiment, already decided, aborted campaign, an edit to
an unknown parameter, out of range, or beyond the lab's safety limits — raises
:class:`ReviewError` and changes nothing.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from datastore import Datastore, Session, lookups
from datastore import repository as repo
from datastore.models import Campaign, Experiment
from datastore.states import ExperimentStatus
from datastore.summaries import best_values
from lab.builders.binding import BuildConfigError, make_builder
from lab.builders.capabilities import BuildsConstructs
from lab.devices.lab_spec import LabSpec
from lab.running.approvals import envelope_flags, is_person
from lab.running.stored_specs import stored_lab, stored_spec
from lab.specs.campaign import CampaignSpec
from planner import Objective
from planner.space import ParameterValue, SearchSpace
from protocols.errors import ProtocolError
from protocols.validation import violations

_S = ExperimentStatus


class ReviewError(Exception):
    """A review decision cannot be taken; nothing was changed."""


class UnknownExperimentError(ReviewError):
    """The experiment named does not exist."""


class AlreadyDecidedError(ReviewError):
    """The experiment no longer awaits approval (or its campaign is closed)."""


class EditRefusedError(ReviewError):
    """An edit names an unknown parameter, leaves the space, or breaks the lab's limits."""

    def __init__(self, message: str, field: str) -> None:
        """Create the error; ``field`` names what was refused (``edits.<parameter>``)."""
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ProposalView:
    """What a reviewer sees about one proposal awaiting approval."""

    experiment: Experiment
    campaign: str
    predictions: dict[str, dict[str, float]]
    rationale: str
    flags: list[str]
    protocol_lines: list[str] = field(default_factory=list)
    preflight: str = "not checked (no lab stored with the campaign)"
    """``passed``, or the problem the protocol's pre-flight check found."""
    construct: str = ""
    """The design as its parts in assembly order (pathway campaigns), else empty."""


def parse_edits(edits: Sequence[str]) -> dict[str, str]:
    """Turn ``["temperature_c=80", ...]`` into a mapping.

    Raises:
        ReviewError: An edit is not ``name=value``.
    """
    out = {}
    for edit in edits:
        name, sep, value = edit.partition("=")
        if not sep or not name.strip():
            raise ReviewError(f"edit {edit!r} must look like param=value")
        out[name.strip()] = value.strip()
    return out


class Reviewer:
    """Applies review decisions to one datastore, as one person."""

    def __init__(
        self, store: Datastore, person: str, audit: Mapping[str, str] | None = None
    ) -> None:
        """Create a reviewer.

        Args:
            store: The datastore.
            person: Who decides (recorded on every event); must not look like a policy.
            audit: Where the decision came from, added to each event's payload
                (e.g. ``{"source": "web"}`` or ``{"source": "cli", "os_user": "ana"}``).
        """
        if not is_person(person):
            raise ReviewError(f"{person!r} is reserved for policies; give a person's name")
        self.store = store
        self.person = person
        self.audit = dict(audit or {})

    # ------------------------------------------------------------- reading
    def pending(self, campaign: str | None = None) -> list[ProposalView]:
        """Proposals awaiting approval, oldest first (optionally of one campaign)."""
        return self.pending_page(campaign)[0]

    def pending_page(
        self, campaign: str | None = None, limit: int | None = None, offset: int = 0
    ) -> tuple[list[ProposalView], int]:
        """One page of :meth:`pending`, and how many proposals await in all.

        Only the page's proposals are built and pre-flighted, so a long queue
        costs one page's work.
        """
        with self.store.session() as session:
            campaigns = (
                [repo.get_campaign(session, campaign)]
                if campaign
                else [c for c in repo.list_campaigns(session) if c.status in ("active", "paused")]
            )
            waiting = [
                (c, e)
                for c in campaigns
                for e in repo.list_experiments(session, c.id or 0, [_S.AWAITING_APPROVAL])
            ]
            chosen = waiting[offset:] if limit is None else waiting[offset : offset + limit]
            views, parsed = [], {}
            for c, e in chosen:
                if c.id not in parsed:  # spec, lab and best values once per campaign
                    spec = stored_spec(c)
                    parsed[c.id] = (spec, stored_lab(c), _best_values(session, c, spec.objectives))
                views.append(self._view(c, *parsed[c.id][:2], e, parsed[c.id][2]))
        return views, len(waiting)

    def _view(
        self,
        campaign: Campaign,
        spec: CampaignSpec,
        lab: LabSpec | None,
        experiment: Experiment,
        best: dict[str, float],
    ) -> ProposalView:
        predicted = {
            k: v
            for k, v in (experiment.predicted or {}).items()
            if isinstance(v, dict) and "mean" in v
        }
        flags = envelope_flags(experiment.parameters, spec.approval.envelope)
        lines: list[str] = []
        preflight = ProposalView.preflight
        construct = ""
        if lab is not None:
            problem, lines = _protocol_check(spec, lab, experiment.parameters, experiment.number)
            flags += [problem] if problem else []
            preflight = problem or "passed"
            construct = _construct(spec, lab, experiment.parameters)
        rationale = explain(spec.objectives, predicted, best, experiment.predicted or {})
        return ProposalView(
            experiment,
            campaign.name,
            predicted,
            rationale,
            flags,
            lines,
            preflight=preflight,
            construct=construct,
        )

    # ------------------------------------------------------------ deciding
    def approve(
        self,
        experiment_ids: Sequence[int],
        edits: Mapping[str, str] | None = None,
        comment: str | None = None,
    ) -> list[Experiment]:
        """Approve proposals, all or none; with ``edits`` (one proposal only) applied first.

        Raises:
            ReviewError: See the module docstring; nothing is changed.
        """
        if edits and len(experiment_ids) != 1:
            raise ReviewError("--edit applies to exactly one proposal; give one ID")
        with self.store.session() as session:
            for experiment_id in experiment_ids:
                experiment, campaign = self._decidable(session, experiment_id)
                if edits:
                    design = self._edited(campaign, experiment, edits)
                    repo.update_parameters(
                        session,
                        experiment_id,
                        design,
                        actor=self.person,
                        comment=comment,
                        extra=self.audit,
                    )
                repo.transition(
                    session,
                    experiment_id,
                    _S.APPROVED,
                    actor=self.person,
                    payload={**self.audit, **({"comment": comment} if comment else {})},
                )
            session.expire_all()
            return [repo.get_experiment(session, i) for i in experiment_ids]

    def reject(self, experiment_ids: Sequence[int], reason: str) -> list[Experiment]:
        """Reject proposals for ``reason``, all or none (the planner will not propose them again).

        Raises:
            ReviewError: No reason, or a proposal cannot be decided.
        """
        if not reason.strip():
            raise ReviewError("a rejection needs a reason (--reason)")
        with self.store.session() as session:
            for experiment_id in experiment_ids:
                self._decidable(session, experiment_id)
                repo.transition(
                    session,
                    experiment_id,
                    _S.REJECTED,
                    actor=self.person,
                    error=reason,
                    payload={**self.audit, "reason": reason},
                )
            session.expire_all()
            return [repo.get_experiment(session, i) for i in experiment_ids]

    def select(self, campaign: str | None, cycle: int | None) -> list[int]:
        """Ids of proposals awaiting approval, optionally of one campaign and cycle.

        Raises:
            ReviewError: Nothing matches.
        """
        ids = [
            v.experiment.id or 0
            for v in self.pending(campaign)
            if cycle is None or v.experiment.cycle == cycle
        ]
        if not ids:
            scope = f" in campaign {campaign!r}" if campaign else ""
            scope += f" cycle {cycle}" if cycle is not None else ""
            raise ReviewError(f"no proposals await approval{scope}")
        return ids

    def _decidable(self, session: Session, experiment_id: int) -> tuple[Experiment, Campaign]:
        experiment = lookups.find_experiment(session, experiment_id)
        if experiment is None:
            raise UnknownExperimentError(
                f"no experiment with id {experiment_id}; see `dbtl review`"
            )
        campaign = lookups.campaign_of(session, experiment)
        if campaign.status in ("aborted", "completed"):
            raise AlreadyDecidedError(
                f"experiment {experiment_id} belongs to campaign {campaign.name!r}, "
                f"which is {campaign.status}; nothing to decide"
            )
        if experiment.status != _S.AWAITING_APPROVAL.value:
            raise AlreadyDecidedError(
                f"experiment {experiment_id} (#{experiment.number} of "
                f"{campaign.name}) is {experiment.status}, not awaiting approval; "
                "it was already decided"
            )
        return experiment, campaign

    def _edited(
        self, campaign: Campaign, experiment: Experiment, edits: Mapping[str, str]
    ) -> dict[str, ParameterValue]:
        spec = stored_spec(campaign)
        space = spec.problem().space
        design = dict(experiment.parameters)
        for name, text in edits.items():
            design[name] = _typed_value(space, name, text)
        try:
            design = space.validate_design(design)
        except ValueError as exc:
            raise EditRefusedError(f"edit refused: {exc}", _field(edits, str(exc))) from None
        lab = stored_lab(campaign)
        if lab is not None:
            problem, _ = _protocol_check(spec, lab, design, experiment.number)
            if problem:
                raise EditRefusedError(
                    f"edit refused by the lab's safety limits: {problem}", _field(edits, problem)
                )
        return design


def _field(edits: Mapping[str, str], message: str) -> str:
    """``edits.<name>`` for the edited parameter a message names (else the first edited)."""
    named = [name for name in edits if name in message]
    return f"edits.{(named or list(edits))[0]}"


def _typed_value(space: SearchSpace, name: str, text: str) -> Any:
    try:
        space.parameter(name)
    except KeyError as exc:
        raise EditRefusedError(f"edit refused: {exc.args[0]}", f"edits.{name}") from None
    try:
        return float(text)
    except ValueError:
        return text


def _protocol_check(
    spec: CampaignSpec, lab: LabSpec, design: Mapping[str, ParameterValue], number: int
) -> tuple[str | None, list[str]]:
    """(problem or None, protocol summary lines) for a design on a lab.

    The result depends on nothing else, so it is kept per (spec, lab, design,
    number): a queue shown again costs no protocol builds.
    """
    key = (id(spec), id(lab), json.dumps(design, sort_keys=True, default=str), number)
    with _CHECKS_LOCK:
        hit = _CHECKS.get(key)
        if hit is not None:
            _CHECKS.move_to_end(key)
            return hit[2], list(hit[3])
    problem, lines = _build_and_check(spec, lab, design, number)
    with _CHECKS_LOCK:
        _CHECKS[key] = (spec, lab, problem, tuple(lines))  # holding spec and lab keeps ids unique
        while len(_CHECKS) > _CHECKS_SIZE:
            _CHECKS.popitem(last=False)
    return problem, lines


_CHECKS: OrderedDict[tuple[int, int, str, int], tuple[Any, Any, str | None, tuple[str, ...]]] = (
    OrderedDict()
)
_CHECKS_LOCK = threading.Lock()
_CHECKS_SIZE = 4096


def clear_protocol_checks() -> None:
    """Forget every kept protocol check (benchmarks measure the cost of a cold queue)."""
    with _CHECKS_LOCK:
        _CHECKS.clear()


def _build_and_check(
    spec: CampaignSpec, lab: LabSpec, design: Mapping[str, ParameterValue], number: int
) -> tuple[str | None, list[str]]:
    try:
        protocol = make_builder(spec, lab).build(design, name=f"{spec.name}#{number}")
    except ProtocolError as exc:
        return str(exc), []
    found = violations(protocol, lab.limits())
    return ("; ".join(found) if found else None), protocol.describe()


def _construct(spec: CampaignSpec, lab: LabSpec, design: Mapping[str, ParameterValue]) -> str:
    """The design's construct as its parts in order, when the campaign builds constructs."""
    try:
        builder = make_builder(spec, lab)
        if isinstance(builder, BuildsConstructs):
            return " > ".join(builder.construct(design).part_ids)
    except (ProtocolError, BuildConfigError, KeyError):
        return ""
    return ""


def _best_values(
    session: Session, campaign: Campaign, objectives: Sequence[Objective]
) -> dict[str, float]:
    signs = {o.name: o.sign for o in objectives}
    return best_values(session, campaign.id or 0, signs)  # in SQL: fast at any scale


def explain(
    objectives: Sequence[Objective],
    predicted: Mapping[str, Mapping[str, float]],
    best: Mapping[str, float],
    raw: Mapping[str, Any],
) -> str:
    """Why the planner chose a proposal: exploit (predicted better) or explore (uncertain)."""
    generator = str(raw.get("_generator", ""))
    if not predicted:
        return f"space-filling design ({generator or 'no model yet'})"
    objective = objectives[0]
    guess = predicted.get(objective.name)
    if guess is None:
        return generator or "model-based"
    acquisition = raw.get("_acquisition_value")
    suffix = f"; acquisition value {acquisition:.3g}" if isinstance(acquisition, float) else ""
    if objective.name not in best:
        return f"model-based, no result yet to compare{suffix}"
    gain = objective.sign * (guess["mean"] - best[objective.name])
    if gain > 0 and gain >= guess["sd"]:
        return f"exploit: predicted {gain:.3g} better than the best so far{suffix}"
    return (
        f"explore: predicted {gain:+.3g} vs best, uncertainty ±{guess['sd']:.3g} "
        f"could beat it{suffix}"
    )


def protocol_check(
    spec: CampaignSpec, lab: LabSpec, design: Mapping[str, ParameterValue], number: int
) -> tuple[str | None, list[str]]:
    """Build a design's protocol on a lab and pre-flight it against the lab's limits.

    Returns:
        The problem found (a build error or the limits broken, ``None`` when it
        passes) and the protocol's steps as summary lines.
    """
    return _protocol_check(spec, lab, design, number)
