"""Building and querying an ``ax.Client`` for one planning call (Ax stays in here).

Ax's default generation strategy optimizes the acquisition with 20 restarts,
1024 raw samples and up to 64 alternating discrete/continuous rounds per
candidate, each continuous round a separate SLSQP run per restart when there
are linear constraints; it fits the GP until L-BFGS converges, and completing
trials one by one re-sorts the experiment's data each time. On a mixed space
that took about a minute per small batch. :func:`new_client` installs a
single model-based node with a bounded GP fit and a budgeted optimizer, and
:func:`attach` loads all results in one step.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from ax import ChoiceParameterConfig, Client, RangeParameterConfig
from ax.adapter.registry import Generators
from ax.core.data import Data
from ax.core.evaluations_to_data import raw_evaluations_to_data
from ax.core.observation import ObservationFeatures
from ax.generation_strategy.generation_strategy import GenerationNode, GenerationStrategy
from ax.generation_strategy.generator_spec import GeneratorSpec
from ax.generators.torch.botorch_modular.surrogate import ModelConfig, SurrogateSpec
from ax.generators.torch.botorch_modular.utils import fit_botorch_model
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP
from botorch.sampling import SobolQMCNormalSampler
from gpytorch.mlls import MarginalLogLikelihood

from planner.diagnostics import fit_quality
from planner.logs import quiet_info_logs
from planner.objectives import Objective
from planner.problem import Design, Observation, Prediction, Problem
from planner.space import (
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    MoleculeParameter,
    OrdinalParameter,
    Parameter,
    ParameterValue,
    SearchSpace,
    choices_of,
)

FIT_MAX_ITERATIONS = 100
CV_FOLDS = 5
MC_SAMPLES = 128
POLYTOPE_SAMPLING = {"n_burnin": 200, "n_thinning": 4}
"""Hit-and-run settings for starting points under linear constraints (BoTorch: 10000, 32)."""
CONTINUOUS_OPTIMIZER = {
    "num_restarts": 8,
    "raw_samples": 512,
    "options": {"maxiter": 100, **POLYTOPE_SAMPLING},
}
"""L-BFGS-B (SLSQP under constraints) multistart when every parameter is a range."""
ENUMERATING_OPTIMIZER = {
    "num_restarts": 2,
    "raw_samples": 128,
    "options": {"maxiter": 50, **POLYTOPE_SAMPLING},
}
"""Per combination of choices, when BoTorch enumerates the few combinations there are."""
ALTERNATING_OPTIMIZER = {
    "num_restarts": 3,
    "raw_samples": 256,
    "options": {
        "maxiter_alternating": 1,
        "maxiter_continuous": 8,
        "initialization_strategy": "random",
    },
}
"""BoTorch's alternating discrete/continuous search, for many combinations of choices."""


def optimizer_options(space: SearchSpace, fixed: Sequence[str] = ()) -> dict[str, Any]:
    """The optimizer budget for the optimizer Ax will pick for ``space``.

    Ax enumerates the combinations of discrete values when there are at most
    BoTorch's ``ALTERNATING_OPTIMIZER_THRESHOLD`` of them (fixed parameters
    not counted), alternates discrete and continuous steps when there are
    more, and uses plain multistart L-BFGS when all parameters are ranges;
    each takes different options.
    """
    from botorch.optim.optimize_mixed import ALTERNATING_OPTIMIZER_THRESHOLD

    discrete = [p for p in space.parameters if not isinstance(p, FloatParameter)]
    if len(discrete) == len(space.parameters) or not discrete:
        return CONTINUOUS_OPTIMIZER
    combinations = math.prod(len(choices_of(p)) for p in discrete if p.name not in fixed)
    if combinations <= ALTERNATING_OPTIMIZER_THRESHOLD:
        return ENUMERATING_OPTIMIZER
    return ALTERNATING_OPTIMIZER


class BudgetedGP(SingleTaskGP):
    """BoTorch's ``SingleTaskGP``, fitted with a bounded number of L-BFGS iterations."""


@fit_botorch_model.register(BudgetedGP)
def _fit_budgeted(
    model: BudgetedGP,
    mll_class: type[MarginalLogLikelihood],
    mll_options: dict[str, Any] | None = None,
) -> None:
    mll = mll_class(likelihood=model.likelihood, model=model, **(mll_options or {}))
    fit_gpytorch_mll(mll, optimizer_kwargs={"options": {"maxiter": FIT_MAX_ITERATIONS}})


def new_client(problem: Problem, seed: int) -> Client:
    """A ``Client`` for ``problem`` with the budgeted model-based generation strategy."""
    client = Client(random_seed=seed)
    client.configure_experiment(
        parameters=[ax_parameter(p) for p in problem.space.parameters],
        parameter_constraints=[
            ax_constraint(c.coefficients, c.bound) for c in problem.space.constraints
        ]
        or None,
    )
    client.configure_optimization(
        objective=", ".join(ax_objective(o) for o in problem.objectives),
        outcome_constraints=[str(c) for c in problem.outcome_constraints] or None,
    )
    client.set_generation_strategy(generation_strategy(seed, optimizer_options(problem.space)))
    return client


def use_optimizer(client: Client, seed: int, optimizer: dict[str, Any]) -> None:
    """Replace the client's generation strategy by one with another optimizer budget."""
    client.set_generation_strategy(generation_strategy(seed, optimizer))


def generation_strategy(seed: int, optimizer: dict[str, Any]) -> GenerationStrategy:
    """One model-based node: budgeted GP fit, seeded QMC sampler, budgeted optimizer."""
    spec = GeneratorSpec(
        generator_enum=Generators.BOTORCH_MODULAR,
        generator_kwargs={
            "surrogate_spec": SurrogateSpec(
                model_configs=[ModelConfig(botorch_model_class=BudgetedGP, name="budgeted GP")]
            ),
            "botorch_acqf_options": {
                "sampler": SobolQMCNormalSampler(torch.Size([MC_SAMPLES]), seed=seed)
            },
        },
        generator_gen_kwargs={"model_gen_options": {"optimizer_kwargs": optimizer}},
    )
    node = GenerationNode(name="MBM", generator_specs=[spec], should_deduplicate=True)
    return GenerationStrategy(name="budgeted MBM", nodes=[node])


def attach(
    client: Client,
    problem: Problem,
    observations: Sequence[Observation],
    pending: Sequence[Design],
) -> None:
    """Attach observations (completed with all their data at once, or failed) and pending designs.

    Observations of other campaigns (``task`` set) are left out: Ax's
    single-task models would read them as this campaign's.
    """
    experiment = client._experiment  # the Client's experiment; bulk data needs its core API
    signatures = {name: metric.signature for name, metric in experiment.metrics.items()}
    names = set(problem.outcome_names)
    data, done = [], []
    for observation in (o for o in observations if o.task is None):
        index = client.attach_trial(parameters=to_ax(observation.parameters))
        values = {k: float(v) for k, v in observation.values.items() if k in names}
        if observation.failed or not values:
            client.mark_trial_failed(index, failed_reason="experiment failed")
            continue
        arm = _arm_name(experiment.trials[index])
        data.append(raw_evaluations_to_data({arm: values}, signatures, trial_index=index))
        done.append(index)
    if data:
        experiment.attach_data(Data.from_multiple_data(data))
    for index in done:
        experiment.trials[index].mark_completed()
    for design in pending:
        client.attach_trial(parameters=to_ax(design))


def _arm_name(trial: Any) -> str:
    """Name of the single arm of a trial made by ``Client.attach_trial``."""
    return str(trial.arm.name)


def _adapter(client: Client) -> Any:
    adapter = client._generation_strategy.adapter
    if adapter is None:
        raise RuntimeError("the generation strategy has no fitted model")
    return adapter


def predict(client: Client, designs: Sequence[Design]) -> list[dict[str, Prediction]]:
    """Predicted mean and measurement sd (posterior predictive) of every outcome."""
    try:
        adapter = _adapter(client)
        features = [ObservationFeatures(parameters=to_ax(d)) for d in designs]
        mean, covariance = adapter.predict(features, use_posterior_predictive=True)
    except Exception:  # predictions are optional; a proposal must not fail for them
        return [{} for _ in designs]
    out = []
    for i in range(len(designs)):
        row = {}
        for name, values in mean.items():
            m, var = float(values[i]), float(covariance[name][name][i])
            if math.isfinite(m) and math.isfinite(var):
                row[name] = Prediction(m, math.sqrt(max(var, 0.0)))
        out.append(row)
    return out


def cross_validation(client: Client, problem: Problem, n_observations: int) -> dict[str, Any]:
    """Cross-validated R², RMSE and 95 % interval coverage per outcome.

    Leave-one-out in closed form (:func:`leave_one_out`); should that fail,
    ``CV_FOLDS``-fold cross-validation through Ax.
    """
    try:
        pairs = leave_one_out(_adapter(client))
    except Exception:
        try:
            pairs = _k_fold(_adapter(client), min(CV_FOLDS, n_observations))
        except Exception as exc:  # diagnostics must never stop a campaign
            return {"cv_error": f"{type(exc).__name__}: {exc}"[:200]}
    per_metric: dict[str, dict[str, list[float]]] = {}
    for observed, predicted in pairs:
        means = predicted.means_dict
        covariance = predicted.covariance_matrix
        for name, y in observed.means_dict.items():
            entry = per_metric.setdefault(name, {"y": [], "mu": [], "sd": []})
            entry["y"].append(float(y))
            entry["mu"].append(float(means[name]))
            entry["sd"].append(math.sqrt(max(float(covariance[name][name]), 0.0)))
    return {"cv": {name: fit_quality(v["y"], v["mu"], v["sd"]) for name, v in per_metric.items()}}


def leave_one_out(adapter: Any) -> list[tuple[Any, Any]]:
    """Closed-form leave-one-out predictions (posterior predictive) of Ax's fitted GP.

    BoTorch's ``loo_cv`` gives them in Ax's transformed space; they are mapped
    back through the adapter's transforms. (Ax 1.3's own closed-form path
    pairs them with untransformed parameters, which fails on choice
    parameters, and then refits once per observation.)

    Returns:
        (observed, predicted) ``ObservationData`` pairs, one per training point.
    """
    from ax.adapter.adapter_utils import array_to_observation_data
    from ax.core.observation import Observation as AxObservation
    from botorch.cross_validation import loo_cv

    observations = adapter.get_training_data(
        filter_in_design=True
    ).convert_to_list_of_observations()
    posterior: Any = loo_cv(adapter.generator.surrogate.model, observation_noise=True).posterior
    means = posterior.mean.detach().cpu().numpy().reshape(len(observations), -1)
    variances = posterior.variance.detach().cpu().numpy().reshape(len(observations), -1)
    covariances = np.stack([np.diag(v) for v in variances])
    predictions = array_to_observation_data(f=means, cov=covariances, outcomes=adapter.outcomes)
    features = [o.features.clone() for o in observations]
    for transform in adapter.transforms.values():
        features = transform.transform_observation_features(features)
    predicted = [
        AxObservation(features=f, data=d) for f, d in zip(features, predictions, strict=True)
    ]
    for transform in reversed(list(adapter.transforms.values())):
        predicted = transform.untransform_observations(predicted)
    return [(o.data, p.data) for o, p in zip(observations, predicted, strict=True)]


def _k_fold(adapter: Any, folds: int) -> list[tuple[Any, Any]]:
    from ax.adapter.cross_validation import cross_validate

    results = cross_validate(adapter, folds=folds, use_posterior_predictive=True)
    return [(r.observed.data, r.predicted) for r in results]


def ax_parameter(parameter: Parameter) -> Any:
    """Ax's configuration of one parameter."""
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


def ax_constraint(coefficients: Mapping[str, float], bound: float) -> str:
    """Ax's text form of ``sum(c * x) <= bound``."""
    terms = " + ".join(f"{c!r}*{name}" for name, c in coefficients.items())
    return f"{terms} <= {bound!r}".replace("+ -", "- ")


def ax_objective(objective: Objective) -> str:
    """Ax's text form of an objective (a leading minus to minimize)."""
    return objective.name if objective.direction == "maximize" else f"-{objective.name}"


def to_ax(design: Mapping[str, ParameterValue]) -> dict[str, Any]:
    """A design as Ax expects it (plain floats)."""
    return {k: (float(v) if isinstance(v, float) else v) for k, v in design.items()}


@contextmanager
def quiet_ax() -> Iterator[None]:
    """Silence Ax's INFO and WARNING logs and numerical warnings for the duration of a call."""
    # Ax warns, for instance, when a converged model repeats a design and it
    # falls back to Sobol: expected behaviour, nothing a user can act on.
    with quiet_info_logs(logging.WARNING), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield
