"""One BayBE campaign per call: build it from the problem and the observations, ask, map back.

Imported by the ``baybe`` strategy on its first call (BayBE is an optional
extra). The campaign is thrown away after the call, so the strategy stays
stateless like every other: the same problem, observations, pending designs,
``n`` and seed give the same proposals.

- Finite spaces (a candidate table, or a discrete space small enough to list)
  become a discrete BayBE search space of exactly those rows. Every observed
  design (failed ones too) and every pending one is switched off, so BayBE
  chooses among the rest; the row BayBE returns is mapped back to our row.
- Spaces with floats become BayBE's continuous (or hybrid) search spaces;
  BayBE cannot switch off single points there, so a proposal that repeats a
  used design is asked for again once, as pending, before giving up.
- Failed observations carry no values: BayBE does not see them as
  measurements. Observations of other campaigns (``task`` set) are not used.
- BayBE's randomness is seeded from ``(seed, designs seen)`` through its
  ``Settings`` context, and the global random states of Python, NumPy and
  torch are put back afterwards. BayBE's disk cache and its recommendation
  cache are switched off for the call. BayBE's settings are process-wide:
  do not run two BayBE calls at once in threads of one process.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from baybe import Campaign
from baybe.settings import Settings

from planner import baybe_space
from planner.baybe_space import Codec, Molecules
from planner.candidates import CandidateSet
from planner.errors import InfeasibleSpaceError, PlannerError
from planner.problem import Design, ModelReport, Observation, Problem, Proposal, Suggestion
from planner.sampling import design_key, stream_seed
from planner.space import ParameterValue


@dataclass(frozen=True)
class BayBESettings:
    """Options of the ``baybe`` strategy (see ``BayBEStrategy``)."""

    name: str
    molecules: Molecules
    max_candidates: int


def propose(
    problem: Problem,
    observations: Sequence[Observation],
    pending: Sequence[Design],
    n: int,
    seed: int,
    settings: BayBESettings,
) -> Proposal:
    """Propose ``n`` new designs with a fresh BayBE campaign (see the module docstring).

    Raises:
        PlannerError: A feature BayBE cannot express, or a space too large to list.
        InfeasibleSpaceError: Fewer than ``n`` candidates are neither observed nor pending.
    """
    baybe_space.check_supported(problem)
    own = [o for o in observations if o.task is None]
    used = [*(o.parameters for o in own), *pending]
    space = _mapped_space(problem, used, n, settings)
    measurements = _measurements(problem, own, space.parts)
    call_seed = int(stream_seed(seed, len(observations) + len(pending)).generate_state(1)[0])
    with _seeded(call_seed):
        campaign = Campaign(
            searchspace=baybe_space.search_space(problem.space, space.parts, space.rows),
            objective=baybe_space.objective(problem),
            recommender=baybe_space.recommender(problem),
        )
        if len(measurements):
            campaign.add_measurements(measurements)
        generator = "baybe:" + _recommender_name(campaign, n)
        if space.free is not None:
            designs = _choose_rows(campaign, space, pending, n)
        else:
            designs = _choose_points(campaign, problem, used, pending, n, space.parts)
    diagnostics: dict[str, Any] = {
        "generator": generator,
        "failed": sum(o.failed for o in own),
        "other_campaigns_ignored": len(observations) - len(own),
    }
    if space.free is not None:
        diagnostics["candidates_left"] = len(space.free)
    return Proposal(
        suggestions=[Suggestion(parameters=d, generator=generator) for d in designs],
        report=ModelReport(settings.name, len(measurements), diagnostics),
    )


@dataclass(frozen=True)
class _MappedSpace:
    """The problem's space as BayBE will see it."""

    parts: list[Codec]
    table: CandidateSet | None
    """The finite designs: every design of a finite space, or the discrete part's."""
    rows: pd.DataFrame | None
    """``table`` as BayBE rows (index = our row numbers)."""
    free: list[int] | None
    """Rows neither observed nor pending, when the whole space is finite."""


def _mapped_space(
    problem: Problem, used: Sequence[Design], n: int, settings: BayBESettings
) -> _MappedSpace:
    """Map the space; for a finite one, also find the free rows.

    Raises:
        InfeasibleSpaceError: A finite space with fewer than ``n`` free rows.
    """
    table = baybe_space.discrete_table(problem, settings.max_candidates)
    free = None
    if table is None:
        table = baybe_space.discrete_part(problem.space, settings.max_candidates)
    else:
        free = table.available(used)
        if len(free) < n:
            raise InfeasibleSpaceError(
                f"only {len(free)} of {len(table)} candidates are left; asked for {n}"
            )
    columns = table.table if table is not None else None
    parts = baybe_space.codecs(
        problem.space, settings.molecules, columns, used, continuous=free is None
    )
    rows = None
    if table is not None:
        rows = baybe_space.frame(table.rows(), [c for c in parts if c.name in table.table])
    return _MappedSpace(parts, table, rows, free)


def _measurements(
    problem: Problem, observations: Sequence[Observation], parts: Sequence[Codec]
) -> pd.DataFrame:
    """The completed observations with finite values, as BayBE measurements.

    With one objective a measurement needs its value; with several, BayBE
    takes partial measurements (a missing value is NaN).
    """
    names = problem.objective_names
    kept: list[Observation] = []
    values: list[list[float]] = []
    enough = all if len(names) == 1 else any
    for o in observations:
        if o.failed:
            continue
        row = [_finite(o.values.get(name)) for name in names]
        if enough(not math.isnan(v) for v in row):
            kept.append(o)
            values.append(row)
    out = baybe_space.frame([o.parameters for o in kept], parts)
    for i, name in enumerate(names):
        out[name] = [row[i] for row in values]
    return out


def _finite(value: float | None) -> float:
    if value is None or not math.isfinite(value):
        return math.nan
    return float(value)


def _choose_rows(
    campaign: Campaign, space: _MappedSpace, pending: Sequence[Design], n: int
) -> list[dict[str, ParameterValue]]:
    """Let BayBE choose ``n`` of the free rows; every used row is switched off."""
    assert space.table is not None and space.rows is not None and space.free is not None
    taken = sorted(set(range(len(space.table))) - set(space.free))
    if taken:
        campaign.toggle_discrete_candidates(space.rows.iloc[taken], exclude=True)
    recommended = campaign.recommend(n, pending_experiments=_pending(pending, space.parts))
    chosen = [int(i) for i in recommended.index]
    if len(chosen) != n or len(set(chosen)) != n or not set(space.free).issuperset(chosen):
        raise PlannerError(
            f"BayBE recommended rows {chosen}, which are not {n} distinct unused candidates"
        )
    return [dict(space.table.rows()[i]) for i in chosen]


def _choose_points(
    campaign: Campaign,
    problem: Problem,
    used: Sequence[Design],
    pending: Sequence[Design],
    n: int,
    parts: Sequence[Codec],
) -> list[dict[str, ParameterValue]]:
    """Ask BayBE for ``n`` designs of a space with floats; ask again for repeats, once.

    The second request counts the accepted designs and the repeats as pending,
    so that BayBE's acquisition function steers away from them.
    """
    names = problem.space.names
    taken = {design_key(d, names) for d in used}
    designs: list[dict[str, ParameterValue]] = []
    repeats: list[dict[str, ParameterValue]] = []
    for _ in range(2):
        in_flight = [*pending, *designs, *repeats]
        recommended = campaign.recommend(
            n - len(designs), pending_experiments=_pending(in_flight, parts)
        )
        for row in recommended.to_dict(orient="records"):
            design = _validated(problem, baybe_space.decode(row, parts))
            key = design_key(design, names)
            (repeats if key in taken else designs).append(design)
            taken.add(key)
        if len(designs) == n:
            return designs
    raise PlannerError(
        f"BayBE proposed only {len(designs)} designs that are not already observed or "
        f"pending; asked for {n}"
    )


def _validated(problem: Problem, design: dict[str, ParameterValue]) -> dict[str, ParameterValue]:
    try:
        return problem.space.validate_design(design)
    except ValueError as exc:
        raise PlannerError(f"BayBE proposed a design outside the space: {exc}") from None


def _pending(designs: Sequence[Design], parts: Sequence[Codec]) -> pd.DataFrame | None:
    return baybe_space.frame(designs, parts) if designs else None


def _recommender_name(campaign: Campaign, n: int) -> str:
    """Name of the recommender BayBE will use for this batch (random before any data)."""
    chosen = campaign.recommender
    if hasattr(chosen, "get_non_meta_recommender"):  # a meta recommender picks one per batch
        chosen = chosen.get_non_meta_recommender(
            n, campaign.searchspace, campaign.objective, campaign.measurements
        )
    return type(chosen).__name__


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed BayBE for one call; put the global random states back afterwards."""
    saved = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    try:
        with Settings(random_seed=seed, cache_directory=None, cache_campaign_recommendations=False):
            yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])
