"""Load a campaign with its lab, and create or resume it in the datastore."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from datastore import Datastore
from datastore import repository as repo
from datastore.models import Campaign
from datastore.states import ExperimentStatus
from lab.builders.binding import BuildConfigError, make_builder
from lab.builders.capabilities import DesignBuilder, OffersCandidates
from lab.builders.limits_check import budget_problem, check_campaign
from lab.devices.confinement import allowed_roots, refuse_lab_outside, refuse_outside
from lab.devices.lab_spec import LabSpec
from lab.devices.labfile import load_lab
from lab.specs.campaign import CampaignSpec
from lab.specs.yamlio import SpecError, load_model_and_tree, locate
from planner import Problem

# keys that may differ between the stored spec and the file when resuming
RESUMABLE_CHANGES = frozenset({"budget", "description"})


@dataclass(frozen=True)
class LoadedCampaign:
    """A validated campaign file, its lab, and the builder binding them."""

    path: Path
    text: str
    spec: CampaignSpec
    lab: LabSpec
    builder: DesignBuilder

    @cached_property
    def problem(self) -> Problem:
        """The planner's problem (built once), limited to the builder's candidates if any.

        A station replaying a table of experiments offers only the table's
        designs; other builders leave the space as the campaign declares it.
        """
        problem = self.spec.problem()
        if not isinstance(self.builder, OffersCandidates):
            return problem
        return problem.model_copy(update={"candidates": self.builder.candidates(problem.space)})


def load_campaign(
    path: Path, budget: int | None = None, allow_paths: Sequence[Path] = ()
) -> LoadedCampaign:
    """Read and check a campaign file and the lab file it names.

    Args:
        path: The campaign YAML.
        budget: Overrides the file's budget when given.
        allow_paths: Folders outside the campaign's own that its ``lab:`` and
            the lab's ``results_dir`` may resolve into (see :mod:`lab.devices.confinement`).

    Raises:
        SpecError: Either file is malformed, they do not fit together, or a
            path leaves the allowed folders.
    """
    spec, tree = load_model_and_tree(path, CampaignSpec, {"base_dir": path.resolve().parent})
    if budget is not None:
        if problem := budget_problem(budget):
            raise SpecError(f"--budget {problem}")
        spec = spec.with_budget(budget)
    lab_path = (path.parent / spec.lab).resolve()
    roots = allowed_roots(path, allow_paths)
    refuse_outside(lab_path, roots, f"{locate(path, tree, 'lab')} {spec.lab!r}")
    if not lab_path.is_file():
        where = locate(path, tree, "lab")
        raise SpecError(f"{where}: lab file {spec.lab!r} not found (looked at {lab_path})")
    lab = load_lab(lab_path)
    refuse_lab_outside(lab_path, lab, roots)
    try:
        builder = make_builder(spec, lab)
        loaded = LoadedCampaign(path, path.read_text(encoding="utf-8"), spec, lab, builder)
        _ = loaded.problem  # a builder's candidates must fit the campaign's parameters
    except BuildConfigError as exc:
        raise SpecError(f"{locate(path, tree, exc.where)}: {exc.message}") from None
    check_campaign(loaded, tree)
    return loaded


def default_actor() -> str:
    """Return ``user@host:pid``, recorded on every event this process writes."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = os.environ.get("USER") or "unknown"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"


def effective_spec_yaml(spec: CampaignSpec) -> str:
    """The spec as run (file plus overrides such as ``--budget``), as YAML: what is stored."""
    return yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def spec_fingerprint(spec: CampaignSpec) -> str:
    """Hash of the spec without the keys that may change on resume."""
    data = spec.model_dump(mode="json", exclude=set(RESUMABLE_CHANGES))
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


FINISHED = (ExperimentStatus.COMPLETED, ExperimentStatus.FAILED)
"""Experiments that ran to an outcome: a budget may never go below their number."""


def check_resumable(store: Datastore, loaded: LoadedCampaign) -> None:
    """Raise if ``loaded`` cannot create or resume its campaign in ``store``; write nothing.

    Raises:
        SpecError: A campaign of that name exists with a different spec, or
            the budget is below the experiments it already ran.
    """
    spec = loaded.spec
    with store.session() as session:
        existing = repo.find_campaign(session, spec.name)
        if existing is None:
            return
        if existing.spec_hash != spec_fingerprint(spec):
            raise SpecError(_mismatch_message(existing, spec))
        done = repo.count_experiments(session, existing.id or 0, FINISHED)
    if problem := budget_problem(spec.budget, done):
        raise SpecError(f"campaign {spec.name!r} ({loaded.path}): budget (or --budget) {problem}")


def open_campaign(store: Datastore, loaded: LoadedCampaign, actor: str) -> tuple[Campaign, bool]:
    """Create the campaign, or return the stored one if it was started from the same spec.

    Returns:
        The campaign and whether it already existed (a resume).

    Raises:
        SpecError: A campaign of that name exists with a different spec, or
            the budget is below what it already ran (see :func:`check_resumable`).
    """
    check_resumable(store, loaded)
    spec = loaded.spec
    with store.session() as session:
        existing = repo.find_campaign(session, spec.name)
        if existing is None:
            campaign = repo.create_campaign(
                session,
                Campaign(
                    name=spec.name,
                    spec_yaml=effective_spec_yaml(spec),
                    spec_hash=spec_fingerprint(spec),
                    strategy=spec.strategy.name,
                    seed=spec.strategy.seed,
                    budget=spec.budget,
                    batch_size=spec.batch_size,
                    approval_policy=spec.approval.policy,
                    priority=spec.priority,
                    lab_name=loaded.lab.name,
                    lab_yaml=yaml.safe_dump(loaded.lab.model_dump(mode="json"), sort_keys=False),
                ),
                actor=actor,
            )
            return campaign, False
        if existing.spec_hash != spec_fingerprint(spec):
            raise SpecError(_mismatch_message(existing, spec))
        if existing.budget != spec.budget:
            grew = spec.budget > existing.budget
            repo.set_campaign_budget(session, existing, spec.budget, actor=actor)
            if grew and existing.status == "completed":
                repo.set_campaign_status(
                    session,
                    existing,
                    "active",
                    actor=actor,
                    reason=f"budget raised to {spec.budget}",
                )
        return existing, True


def _mismatch_message(existing: Campaign, spec: CampaignSpec) -> str:
    try:
        stored = CampaignSpec.model_validate(yaml.safe_load(existing.spec_yaml))
        changed = sorted(
            k
            for k in CampaignSpec.model_fields
            if k not in RESUMABLE_CHANGES and getattr(stored, k) != getattr(spec, k)
        )
    except Exception:  # the stored spec no longer validates (older version): say so
        changed = ["(stored spec unreadable by this version)"]
    return (
        f"campaign {spec.name!r} already exists in this database with a different spec "
        f"(changed: {', '.join(changed) or 'unknown'}); only budget may change on resume. "
        "Give the campaign a new name, or pass another --db"
    )
