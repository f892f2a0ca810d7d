"""Several objectives over a candidate set: qLogNEHVI (BoTorch), sequentially greedy.

Each objective (and each constrained outcome) has its own GP on standardized
values; the acquisition works in those units, with the signs of minimized
objectives flipped so that every objective is maximized. The hypervolume
reference point is the objectives' ``reference_point`` when given, otherwise a
point slightly worse than the worst value observed in each objective.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from planner.acquisition import Chooser
from planner.problem import Problem
from planner.surrogate import FittedGP
from planner.training import SUCCESS, Models

MC_SAMPLES = 128
REFERENCE_MARGIN = 0.1
"""Without a given reference point: the worst observed value minus this share of the range."""
MAX_BATCH = 256


def hypervolume_chooser(problem: Problem, models: Models, features: Tensor, seed: int) -> Chooser:
    """A chooser that picks candidates by qLogNEHVI, one at a time."""
    from botorch.acquisition.multi_objective.logei import (
        qLogNoisyExpectedHypervolumeImprovement,
    )
    from botorch.acquisition.multi_objective.objective import WeightedMCMultiOutputObjective
    from botorch.models import ModelListGP
    from botorch.optim import optimize_acqf_discrete
    from botorch.sampling import SobolQMCNormalSampler

    names = [o.name for o in problem.objectives]
    extra = [n for n in models.fits if n not in names]
    fits = [models.fits[n] for n in names + extra]
    model = ModelListGP(*[f.model for f in fits])
    signs = torch.tensor([o.sign for o in problem.objectives], dtype=features.dtype)
    objective = WeightedMCMultiOutputObjective(
        weights=signs, outcomes=list(range(len(names))), num_outcomes=len(fits)
    )
    baseline = fits[0].train_x[fits[0].train_task == 0]

    def choose(rows: list[int], n: int, pending_x: Tensor) -> list[int]:
        acquisition = qLogNoisyExpectedHypervolumeImprovement(
            model=model,
            ref_point=reference_point(problem, models).tolist(),
            X_baseline=baseline if len(baseline) else fits[0].train_x,
            sampler=SobolQMCNormalSampler(torch.Size([MC_SAMPLES]), seed=seed),
            objective=objective,
            constraints=_constraints(problem, names + extra, fits) or None,
            X_pending=pending_x if len(pending_x) else None,
            prune_baseline=True,
        )
        choices = features[rows]
        with torch.no_grad():
            chosen, _ = optimize_acqf_discrete(
                acquisition, q=n, choices=choices, max_batch_size=MAX_BATCH
            )
        return [rows[i] for i in matching_rows(chosen, choices)]

    return choose


def matching_rows(chosen: Tensor, choices: Tensor) -> list[int]:
    """Positions in ``choices`` of each chosen point, never the same position twice."""
    distance = torch.cdist(chosen, choices)
    taken: set[int] = set()
    out = []
    for row in distance:
        order = torch.argsort(row, stable=True).tolist()
        position = next(i for i in order if i not in taken)
        taken.add(position)
        out.append(position)
    return out


def reference_point(problem: Problem, models: Models) -> Tensor:
    """Reference point in standardized, sign-adjusted units (one entry per objective)."""
    point = []
    for objective in problem.objectives:
        fit = models.fits[objective.name]
        if objective.reference_point is not None:
            point.append(objective.sign * fit.from_units(objective.reference_point))
            continue
        z = objective.sign * fit.train_z[fit.train_task == 0]
        z = z if len(z) else objective.sign * fit.train_z
        point.append(float(z.min() - REFERENCE_MARGIN * (z.max() - z.min())))
    return torch.tensor(point, dtype=torch.float64)


def _constraints(
    problem: Problem, names: list[str], fits: list[FittedGP]
) -> list[Callable[[Tensor], Tensor]]:
    """BoTorch outcome constraints: callables that are negative where samples are feasible."""
    out: list[Callable[[Tensor], Tensor]] = []
    for constraint in problem.outcome_constraints:
        if constraint.name not in names:  # not observed yet: nothing to model
            continue
        index = names.index(constraint.name)
        bound = fits[index].from_units(constraint.bound)
        out.append(_violation(index, bound, upper=constraint.op == "<="))
    if SUCCESS in names:
        index = names.index(SUCCESS)
        out.append(_violation(index, fits[index].from_units(0.5), upper=False))
    return out


def _violation(index: int, bound: float, upper: bool) -> Callable[[Tensor], Tensor]:
    """``z[..., index] - bound`` for an upper bound, ``bound - z[..., index]`` for a lower one."""
    sign = 1.0 if upper else -1.0

    def violation(samples: Tensor) -> Tensor:
        return sign * (samples[..., index] - bound)

    return violation
