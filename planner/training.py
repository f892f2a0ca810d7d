"""From observations to fitted surrogates: one GP per modelled outcome.

Completed observations train the outcome models (the current campaign's and
those of related campaigns, each with its task). Failed observations carry
no value and never enter an outcome model; when asked, they train a separate
model of success (1) versus failure (0) whose probability then weighs the
acquisition (a failure-aware, feasibility-weighted search).

Outcomes that are only constrained (not objectives) get their own kernel
prior, :data:`CONSTRAINT_PRIOR`, whatever the objectives' prior: a
feasibility boundary usually follows one or two parameters (a base that
degrades the product, a solvent that precipitates it), and its model must be
free to find every other parameter irrelevant. The block prior holds every
lengthscale near its block's diameter, so after a few infeasible results at
one level the model still believed untried combinations of that level with
other settings were likely feasible (issue 11's outcome-constraint defect).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.encoding import Encoder
from planner.errors import PlannerError
from planner.model_options import Prior, SurrogateOptions
from planner.problem import Observation, Problem
from planner.surrogate import FittedGP, fit_gp
from planner.warm_hyperparameters import WarmStart

SUCCESS = "_success"
"""Name of the success-probability model among the fitted outcomes."""

CONSTRAINT_PRIOR: Prior = "dim-scaled"
"""Kernel prior of constrained outcomes that are not objectives: BoTorch's ARD prior,
whose long, wide lengthscale prior lets the fit switch off parameters the
constraint does not depend on (automatic relevance determination)."""


def task_labels(observations: Sequence[Observation]) -> list[str]:
    """Task labels for an encoder: the current campaign (``""``) first, then others sorted."""
    others = sorted({o.task for o in observations if o.task is not None})
    return ["", *others]


@dataclass(frozen=True)
class Models:
    """Fitted outcome models and the data they saw."""

    fits: dict[str, FittedGP]
    observed: dict[str, np.ndarray]
    """Each outcome's values observed in the current campaign, in training order."""
    skipped: dict[str, str]
    """Outcomes left without a model, and why."""


def fit_models(
    problem: Problem,
    encoder: Encoder,
    observations: Sequence[Observation],
    seed: int,
    learn_failures: bool,
    options: SurrogateOptions | None = None,
    warm: WarmStart | None = None,
) -> Models:
    """Fit a GP per outcome (objectives and constrained outcomes), and optionally for success.

    An outcome with fewer than two distinct values is skipped (the reason is
    recorded): there is nothing to learn from yet. With ``warm``, each fit
    starts from the hyperparameters of the previous fit of its outcome.
    """
    options = options or SurrogateOptions()
    tasks = encoder.tasks or ("",)
    objectives = set(problem.objective_names)
    fits: dict[str, FittedGP] = {}
    observed: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    for offset, name in enumerate(problem.outcome_names):
        rows = [o for o in observations if not o.failed and _finite(o, name)]
        x = encoder.encode_frame(_frame(encoder, rows), [o.task or "" for o in rows])
        y = np.array([float(o.values[name]) for o in rows])
        task = np.array([tasks.index(o.task or "") for o in rows], dtype=np.intp)
        try:
            fits[name] = fit_gp(
                x,
                y,
                encoder.blocks,
                seed + offset,
                task,
                len(tasks),
                options.prior if name in objectives else CONSTRAINT_PRIOR,
                options.warp,
                warm,
                name,
                options.kernel,
            )
        except PlannerError as exc:
            skipped[name] = str(exc)
            continue
        observed[name] = y[task == 0]
    if learn_failures:
        _fit_success(encoder, observations, seed, fits, skipped, options.prior)
    return Models(fits, observed, skipped)


def _fit_success(
    encoder: Encoder,
    observations: Sequence[Observation],
    seed: int,
    fits: dict[str, FittedGP],
    skipped: dict[str, str],
    prior: Prior,
) -> None:
    own = [o for o in observations if o.task is None]
    labels = np.array([0.0 if o.failed else 1.0 for o in own])
    if len(own) < 2 or labels.min() == labels.max():
        skipped[SUCCESS] = "no failed (or no successful) experiment to learn from"
        return
    x = encoder.encode_frame(_frame(encoder, own))
    fits[SUCCESS] = fit_gp(x, labels, encoder.blocks, seed + 7919, prior=prior, warp=False)


def _finite(observation: Observation, name: str) -> bool:
    value = observation.values.get(name)
    return value is not None and math.isfinite(float(value))


def _frame(encoder: Encoder, observations: Sequence[Observation]) -> pd.DataFrame:
    return pd.DataFrame([dict(o.parameters) for o in observations], columns=encoder.space.names)
