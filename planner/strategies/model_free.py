"""Strategies that use no model: random, Sobol and Latin hypercube designs."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.stats import qmc

from planner.candidates import CandidateSet, batch_groups, candidate_designs
from planner.errors import InfeasibleSpaceError
from planner.problem import Design, ModelReport, Observation, Problem, Proposal, Suggestion
from planner.registry import register
from planner.sampling import UnitSampler, draw_designs, stream_seed
from planner.space import (
    FloatParameter,
    IntParameter,
    ParameterValue,
    SearchSpace,
    choices_of,
)


def draw_candidates(
    candidates: CandidateSet,
    n: int,
    used: Sequence[Design],
    seed: np.random.SeedSequence,
) -> list[dict[str, ParameterValue]]:
    """Draw ``n`` distinct unused rows of a candidate set uniformly at random.

    With fixed-per-batch parameters, all rows share their values: a group of
    rows with at least ``n`` free members is drawn first (the largest group
    when none is that big, which then gives fewer than ``n`` designs).

    Raises:
        InfeasibleSpaceError: Fewer than ``n`` candidates are left.
    """
    free = candidates.available(used)
    if len(free) < n:
        raise InfeasibleSpaceError(
            f"only {len(free)} of {len(candidates)} candidates are left; asked for {n}"
        )
    rng = np.random.default_rng(seed)
    fixed = candidates.space.fixed_per_batch
    if fixed:
        groups = list(batch_groups(candidates, free, fixed).values())
        big = [g for g in groups if len(g) >= n] or [max(groups, key=len)]
        free = big[int(rng.integers(len(big)))]
    chosen = rng.choice(len(free), size=min(n, len(free)), replace=False)
    return candidate_designs(candidates, [free[int(i)] for i in chosen])


def unit_coordinates(space: SearchSpace, design: Design) -> npt.NDArray[np.float64]:
    """Where ``design`` lies in the unit cube that :func:`~planner.sampling.from_unit` maps.

    Ranges scale linearly (or logarithmically); a choice sits at the centre of
    the interval of the cube that maps to it.
    """
    out = np.empty(len(space.parameters))
    for i, parameter in enumerate(space.parameters):
        value = design[parameter.name]
        if isinstance(parameter, FloatParameter | IntParameter):
            low, high, x = float(parameter.lower), float(parameter.upper), float(value)
            if isinstance(parameter, IntParameter):
                high += 1.0
                x += 0.5
            if parameter.log_scale:
                low, high, x = np.log(low), np.log(high), np.log(x)
            out[i] = (x - low) / (high - low) if high > low else 0.5
        else:
            options = choices_of(parameter)
            out[i] = (options.index(value) + 0.5) / len(options)
    return out


def nearest_candidates(
    candidates: CandidateSet, points: npt.NDArray[np.float64], used: Sequence[Design]
) -> list[dict[str, ParameterValue]]:
    """For each point of the unit cube, the nearest candidate not used yet (nor chosen before).

    Keeps a space-filling design (Sobol, Latin hypercube) space-filling on a table.

    Raises:
        InfeasibleSpaceError: Fewer candidates are left than points.
    """
    free = candidates.available(used)
    if len(free) < len(points):
        raise InfeasibleSpaceError(
            f"only {len(free)} of {len(candidates)} candidates are left; asked for {len(points)}"
        )
    rows = candidates.rows()
    space = candidates.space
    coordinates = np.array([unit_coordinates(space, rows[i]) for i in free])
    chosen: list[int] = []
    open_rows = np.ones(len(free), dtype=bool)
    for point in points:
        distance = np.where(open_rows, ((coordinates - point) ** 2).sum(axis=1), np.inf)
        best = int(np.argmin(distance))
        open_rows[best] = False
        chosen.append(free[best])
    return candidate_designs(candidates, chosen)


def draw_batch(
    space: SearchSpace,
    sampler: UnitSampler,
    n: int,
    used: Sequence[Design],
    skip: int,
) -> list[dict[str, ParameterValue]]:
    """Draw ``n`` designs; the batch's first design sets the fixed-per-batch values."""
    if not space.fixed_per_batch or n == 1:
        return draw_designs(space, sampler, n, exclude=used, skip=skip)
    first = draw_designs(space, sampler, 1, exclude=used, skip=skip)
    fixed = {name: first[0][name] for name in space.fixed_per_batch}
    return first + draw_designs(space, sampler, n - 1, exclude=[*used, *first], fixed=fixed)


class _ModelFree:
    name = ""
    continues_sequence = False
    """Whether the sampler restarts from the same sequence each call (then ``skip`` is used)."""
    uniform_rows = False
    """On a candidate table, draw rows uniformly (else: the rows nearest the sampler's points)."""

    def _sampler(self, dimension: int, seed: int, n_seen: int) -> UnitSampler:
        raise NotImplementedError

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Propose ``n`` designs without looking at the measured values."""
        n_seen = len(observations) + len(pending)
        used = [o.parameters for o in observations] + list(pending)
        candidates = problem.candidates
        if candidates is not None and (self.uniform_rows or candidates.space.fixed_per_batch):
            designs = draw_candidates(candidates, n, used, stream_seed(seed, n_seen))
        else:
            sampler = self._sampler(len(problem.space.parameters), seed, n_seen)
            skip = n_seen if self.continues_sequence else 0
            if candidates is None:
                designs = draw_batch(problem.space, sampler, n, used, skip)
            else:
                designs = nearest_candidates(candidates, sampler(skip + n)[skip:], used)
        return Proposal(
            suggestions=[Suggestion(parameters=d, generator=self.name) for d in designs],
            report=ModelReport(strategy=self.name, n_train=0),
        )


@register("random")
class RandomStrategy(_ModelFree):
    """Uniform random designs (the baseline every planner must beat)."""

    name = "random"
    uniform_rows = True  # exact random sampling of a table, without replacement

    def _sampler(self, dimension: int, seed: int, n_seen: int) -> UnitSampler:
        rng = np.random.default_rng(stream_seed(seed, n_seen))
        return lambda m: rng.random((m, dimension))


@register("sobol")
class SobolStrategy(_ModelFree):
    """A scrambled Sobol sequence, continued across cycles of one campaign."""

    name = "sobol"
    continues_sequence = True

    def _sampler(self, dimension: int, seed: int, n_seen: int) -> UnitSampler:
        engine = qmc.Sobol(dimension, scramble=True, seed=np.random.default_rng(seed))

        def draw(m: int) -> npt.NDArray[np.float64]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # balance of non-2^k draws
                return np.asarray(engine.random(m), dtype=np.float64)

        return draw


@register("lhs")
class LatinHypercubeStrategy(_ModelFree):
    """Latin hypercube designs: each batch stratifies every dimension."""

    name = "lhs"

    def _sampler(self, dimension: int, seed: int, n_seen: int) -> UnitSampler:
        rng = np.random.default_rng(stream_seed(seed, n_seen))
        return lambda m: np.asarray(
            qmc.LatinHypercube(dimension, seed=rng).random(m), dtype=np.float64
        )
