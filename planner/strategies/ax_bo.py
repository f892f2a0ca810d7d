"""Bayesian optimization on Ax's ``Client`` (BoTorch underneath).

The strategy is stateless: every call builds a fresh ``Client`` from the
problem, attaches the observations (completed or failed) and the pending
designs, and asks for ``n`` trials. Ax objects never leave this module.

The first ``initial_designs`` designs come from a scrambled Sobol sequence
(our own, continued across cycles); after that Ax's model-based node ("MBM",
a GP with qLogNEI, or qLogNEHVI for several objectives) proposes.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from planner.errors import PlannerError
from planner.objectives import Objective
from planner.problem import (
    Design,
    ModelReport,
    Observation,
    Prediction,
    Problem,
    Proposal,
    Suggestion,
    completed,
)
from planner.registry import register
from planner.space import (
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    MoleculeParameter,
    OrdinalParameter,
    Parameter,
    ParameterValue,
    coerce_value,
)
from planner.strategies.model_free import SobolStrategy

MIN_INITIAL_DESIGNS = 5


@register("bo")
class AxBayesianOptimization:
    """Gaussian-process Bayesian optimization through ``ax.Client``."""

    name = "bo"

    def __init__(self, initial_designs: int | None = None) -> None:
        """Create the strategy.

        Args:
            initial_designs: Sobol designs before the model takes over; by default
                ``max(5, number of parameters + 1)``.
        """
        self.initial_designs = initial_designs

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Propose ``n`` designs: Sobol until enough results exist, then model-based."""
        if problem.candidates is not None:
            raise PlannerError(
                "strategy 'bo' (Ax) optimizes over ranges and choices, not over a candidate "
                "table; use a candidate-set strategy"
            )
        init = self.initial_designs or max(MIN_INITIAL_DESIGNS, len(problem.space.parameters) + 1)
        if len(completed(observations)) < init:
            sobol = SobolStrategy().suggest(problem, observations, pending, n, seed)
            return Proposal(
                sobol.suggestions, ModelReport(self.name, 0, {"generator": "sobol init"})
            )
        with _quiet_ax():
            return self._model_based(problem, observations, pending, n, seed)

    def _model_based(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        from ax import Client

        client = Client(random_seed=seed + len(observations) + len(pending))
        client.configure_experiment(
            parameters=[_ax_parameter(p) for p in problem.space.parameters],
            parameter_constraints=[
                _ax_constraint(c.coefficients, c.bound) for c in problem.space.constraints
            ]
            or None,
        )
        client.configure_optimization(
            objective=", ".join(_ax_objective(o) for o in problem.objectives),
            outcome_constraints=[str(c) for c in problem.outcome_constraints] or None,
        )
        client.configure_generation_strategy(initialization_budget=0)
        _attach(client, problem, observations, pending)
        trials = client.get_next_trials(max_trials=n)
        if not trials:
            raise PlannerError("Ax proposed no designs: the space may be exhausted")
        designs = [_from_ax(problem, params) for params in trials.values()]
        predictions = _predict(client, list(trials.values()))
        suggestions = [
            Suggestion(parameters=d, predictions=p, generator="ax:MBM")
            for d, p in zip(designs, predictions, strict=True)
        ]
        report = ModelReport(
            self.name,
            len(completed(observations)),
            {"generator": "ax:MBM", **_cross_validation(client)},
        )
        return Proposal(suggestions, report)


def _ax_parameter(parameter: Parameter) -> Any:
    from ax import ChoiceParameterConfig, RangeParameterConfig

    if isinstance(parameter, FloatParameter | IntParameter):
        return RangeParameterConfig(
            name=parameter.name,
            parameter_type="float" if isinstance(parameter, FloatParameter) else "int",
            bounds=(parameter.lower, parameter.upper),
            scaling="log" if parameter.log_scale else "linear",
        )
    if isinstance(parameter, OrdinalParameter):
        numeric = parameter.is_numeric
        return ChoiceParameterConfig(
            name=parameter.name,
            values=[float(v) for v in parameter.levels]
            if numeric
            else list(map(str, parameter.levels)),
            parameter_type="float" if numeric else "str",
            is_ordered=True,
        )
    assert isinstance(parameter, CategoricalParameter | MoleculeParameter)
    return ChoiceParameterConfig(
        name=parameter.name,
        values=list(parameter.choices),
        parameter_type="str",
        is_ordered=False,
    )


def _ax_constraint(coefficients: Mapping[str, float], bound: float) -> str:
    terms = " + ".join(f"{c!r}*{name}" for name, c in coefficients.items())
    return f"{terms} <= {bound!r}".replace("+ -", "- ")


def _ax_objective(objective: Objective) -> str:
    return objective.name if objective.direction == "maximize" else f"-{objective.name}"


def _attach(
    client: Any, problem: Problem, observations: Sequence[Observation], pending: Sequence[Design]
) -> None:
    names = problem.outcome_names
    for observation in observations:
        index = client.attach_trial(parameters=_to_ax(observation.parameters))
        values = {k: float(v) for k, v in observation.values.items() if k in names}
        if observation.failed or not values:
            client.mark_trial_failed(index, failed_reason="experiment failed")
        else:
            client.complete_trial(index, raw_data=values)
    for design in pending:
        client.attach_trial(parameters=_to_ax(design))


def _to_ax(design: Mapping[str, ParameterValue]) -> dict[str, Any]:
    return {k: (float(v) if isinstance(v, float) else v) for k, v in design.items()}


def _from_ax(problem: Problem, params: Mapping[str, Any]) -> dict[str, ParameterValue]:
    out: dict[str, ParameterValue] = {}
    for p in problem.space.parameters:
        value = params[p.name]
        if isinstance(p, FloatParameter):
            value = min(max(float(value), p.lower), p.upper)
        out[p.name] = coerce_value(p, value)
    return out


def _predict(client: Any, points: list[Mapping[str, Any]]) -> list[dict[str, Prediction]]:
    try:
        raw = client.predict(points)
    except Exception:  # the node may not be predictive; predictions are optional
        return [{} for _ in points]
    return [
        {
            name: Prediction(float(m), float(s))
            for name, (m, s) in row.items()
            if math.isfinite(m) and math.isfinite(s)
        }
        for row in raw
    ]


def _cross_validation(client: Any) -> dict[str, Any]:
    """Leave-one-out R², RMSE and 95 % interval coverage per outcome."""
    from ax.adapter.cross_validation import cross_validate

    try:
        adapter = client._generation_strategy.adapter
        results = cross_validate(adapter, folds=-1, use_posterior_predictive=True)
    except Exception as exc:  # diagnostics must never stop a campaign
        return {"cv_error": f"{type(exc).__name__}: {exc}"[:200]}
    per_metric: dict[str, dict[str, list[float]]] = {}
    for result in results:
        observed = result.observed.data.means_dict
        predicted = result.predicted.means_dict
        covariance = result.predicted.covariance_matrix
        for name, y in observed.items():
            entry = per_metric.setdefault(name, {"y": [], "mu": [], "sd": []})
            entry["y"].append(float(y))
            entry["mu"].append(float(predicted[name]))
            entry["sd"].append(math.sqrt(max(float(covariance[name][name]), 0.0)))
    return {"cv": {name: fit_quality(v["y"], v["mu"], v["sd"]) for name, v in per_metric.items()}}


def fit_quality(y: Sequence[float], mu: Sequence[float], sd: Sequence[float]) -> dict[str, float]:
    """Return R², RMSE and the fraction of ``y`` inside ``mu ± 1.96 sd``."""
    y_a, mu_a, sd_a = np.asarray(y), np.asarray(mu), np.asarray(sd)
    residual = y_a - mu_a
    total = float(np.sum((y_a - y_a.mean()) ** 2))
    return {
        "r2": float(1.0 - np.sum(residual**2) / total) if total > 0 else float("nan"),
        "rmse": float(np.sqrt(np.mean(residual**2))),
        "coverage_95": float(np.mean(np.abs(residual) <= 1.96 * sd_a)),
        "n": float(len(y_a)),
    }


@contextmanager
def _quiet_ax() -> Iterator[None]:
    """Silence Ax's INFO logs and numerical warnings for the duration of a call."""
    previous = logging.root.manager.disable
    logging.disable(logging.INFO)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)
