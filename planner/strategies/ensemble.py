"""Tree-ensemble active learning over candidate sets, registered as ``ensemble``.

In the spirit of ART (Radivojević et al. 2020), which learns from few DBTL
cycles with an ensemble of models instead of one GP: a bootstrap ensemble of
gradient-boosted trees (or random forests) is fitted to the designs measured
so far (replicates averaged, weighted by their count). The members' spread is
the model's uncertainty; it is **calibrated** by cross-validation (a scale
factor that makes the held-out residuals' z-scores have unit variance once
the replicate noise is added), so ``mean ± 1.96 sd`` covers about 95 % of new
measurements and ``coverage_95`` in the report says how well it does.

The batch spans exploitation to exploration as ART's does: slot j of n
takes the unused candidate with the highest ``mean + κ_j · sd``, κ_j rising
from 0 to ``2 κ``. The first batch (too few designs to learn from) is an
orthogonal array over the levels (:func:`planner.pathway.doe.reduced_library`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from scipy.stats import spearmanr

from planner.candidates import CandidateSet, enumerate_space
from planner.errors import PlannerError
from planner.pathway.doe import reduced_library
from planner.pathway.replicates import Aggregated, aggregate, design_key
from planner.problem import (
    Design,
    ModelReport,
    Observation,
    Prediction,
    Problem,
    Proposal,
    Suggestion,
)
from planner.registry import register

MAX_CANDIDATES = 200_000
MIN_TRAIN = 6
"""Distinct measured designs needed before a model is fitted."""


@register("ensemble")
class EnsembleStrategy:
    """Bootstrap tree ensemble with calibrated uncertainty and an exploit-to-explore batch."""

    name = "ensemble"

    def __init__(
        self,
        model: Literal["boosting", "forest"] = "boosting",
        members: int = 12,
        kappa: float = 1.0,
        transform: Literal["auto", "log", "none"] = "auto",
        initial: Literal["orthogonal", "random"] = "orthogonal",
        folds: int = 4,
    ) -> None:
        """Create the strategy.

        Args:
            model: ``"boosting"`` (gradient-boosted trees) or ``"forest"`` (random forest).
            members: Bootstrap members of the ensemble (≥ 2).
            kappa: Exploration weight; the batch uses κ from 0 to 2κ.
            transform: Model log values (``"auto"``: when every value is positive).
            initial: First batch: an orthogonal array, or uniform random rows.
            folds: Cross-validation folds for the calibration (≥ 2).
        """
        if model not in ("boosting", "forest"):
            raise ValueError(f"model must be 'boosting' or 'forest', got {model!r}")
        if members < 2 or folds < 2 or kappa < 0:
            raise ValueError("members and folds must be ≥ 2 and kappa ≥ 0")
        if transform not in ("auto", "log", "none") or initial not in ("orthogonal", "random"):
            raise ValueError("transform: auto, log or none; initial: orthogonal or random")
        self.model, self.members, self.kappa = model, members, kappa
        self.transform, self.initial, self.folds = transform, initial, folds

    def suggest(
        self,
        problem: Problem,
        observations: Sequence[Observation],
        pending: Sequence[Design],
        n: int,
        seed: int,
    ) -> Proposal:
        """Propose ``n`` unused candidates (see the module docstring)."""
        candidates = _candidates(problem)
        names = problem.space.names
        objective = problem.objectives[0]
        data = aggregate(observations, names, objective.name)
        used = [o.parameters for o in observations] + list(pending)
        taken = {design_key(d, names) for d in used}
        free = [r for r in candidates.rows() if design_key(r, names) not in taken]
        if len(data.designs) < MIN_TRAIN:
            return self._initial(problem, candidates, used, n, seed, len(data.designs))
        fit = _EnsembleFit(self, problem, data, objective.sign, seed)
        mean, sd = fit.predict(free)
        chosen = _batch(mean, sd, n, self.kappa)
        suggestions = [
            Suggestion(
                parameters=dict(free[i]),
                predictions={objective.name: fit.prediction(mean[i], sd[i])},
                generator=self.name,
                acquisition_value=float(mean[i] + sd[i]),
            )
            for i in chosen
        ]
        return Proposal(suggestions, ModelReport(self.name, len(data.designs), fit.report))

    def _initial(
        self,
        problem: Problem,
        candidates: CandidateSet,
        used: list[Design],
        n: int,
        seed: int,
        n_train: int,
    ) -> Proposal:
        if self.initial == "orthogonal":
            designs = reduced_library(problem.space, candidates, n, seed, used)
            generator = "orthogonal-array"
        else:
            from planner.strategies.model_free import draw_candidates, stream_seed

            designs = draw_candidates(candidates, n, used, stream_seed(seed, len(used)))
            generator = "random"
        report = ModelReport(self.name, n_train, {"generator": generator})
        return Proposal([Suggestion(dict(d), generator=generator) for d in designs], report)


def _candidates(problem: Problem) -> CandidateSet:
    if problem.candidates is not None:
        return problem.candidates
    enumerated = enumerate_space(problem.space, MAX_CANDIDATES)
    if enumerated is None:
        raise PlannerError(
            "strategy 'ensemble' needs a candidate table or a discrete space of at most "
            f"{MAX_CANDIDATES} designs"
        )
    return enumerated


def _batch(mean: np.ndarray, sd: np.ndarray, n: int, kappa: float) -> list[int]:
    open_rows = np.ones(len(mean), dtype=bool)
    chosen: list[int] = []
    for kappa_j in np.linspace(0.0, 2.0 * kappa, min(n, len(mean))):
        score = np.where(open_rows, mean + kappa_j * sd, -np.inf)
        best = int(np.argmax(score))
        open_rows[best] = False
        chosen.append(best)
    return chosen


class _EnsembleFit:
    """The fitted ensemble, its calibration and its report (model space: signed, maybe log)."""

    def __init__(
        self, strategy: EnsembleStrategy, problem: Problem, data: Aggregated, sign: float, seed: int
    ) -> None:
        from planner.encoding import Encoder

        self.strategy, self.sign, self.seed = strategy, sign, seed
        self.encoder = Encoder(problem.space)
        self.log = strategy.transform == "log" or (
            strategy.transform == "auto" and bool((data.mean > 0).all())
        )
        if self.log and not (data.mean > 0).all():
            raise PlannerError("transform 'log' needs positive values of the objective")
        x = self.encoder.encode(data.designs)
        y = sign * (np.log(data.mean) if self.log else data.mean)
        noise = data.relative_noise if self.log else data.noise_sd
        self.noise_sd = float(noise or 0.0) / np.sqrt(max(float(np.median(data.count)), 1.0))
        self.members = self._fit(x, y, data.count, strategy.members, seed)
        self.scale, self.report = self._calibrate(x, y, data)

    def _fit(
        self, x: np.ndarray, y: np.ndarray, weight: np.ndarray, members: int, seed: int
    ) -> list[Any]:
        rng = np.random.default_rng(seed)
        fitted = []
        for m in range(members):
            rows = rng.integers(0, len(y), len(y))
            model = _new_model(self.strategy.model, seed * 1000 + m)
            model.fit(x[rows], y[rows], sample_weight=weight[rows])
            fitted.append(model)
        return fitted

    def _spread(self, members: list[Any], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        predictions = np.stack([m.predict(x) for m in members])
        return predictions.mean(axis=0), predictions.std(axis=0, ddof=1)

    def _calibrate(
        self, x: np.ndarray, y: np.ndarray, data: Aggregated
    ) -> tuple[float, dict[str, Any]]:
        folds = np.random.default_rng(self.seed + 1).permutation(len(y)) % self.strategy.folds
        held_mean, held_sd = np.empty(len(y)), np.empty(len(y))
        half = max(2, self.strategy.members // 2)
        for k in range(self.strategy.folds):
            test = folds == k
            if test.all() or not test.any():
                continue
            members = self._fit(x[~test], y[~test], data.count[~test], half, self.seed + 7 + k)
            held_mean[test], held_sd[test] = self._spread(members, x[test])
        residual = y - held_mean
        scales = np.geomspace(0.1, 20.0, 120)
        z2 = [
            np.mean(residual**2 / ((s * held_sd) ** 2 + self.noise_sd**2 + 1e-12)) for s in scales
        ]
        scale = float(scales[int(np.argmin(np.abs(np.log(z2))))])
        total_sd = np.sqrt((scale * held_sd) ** 2 + self.noise_sd**2)
        ss = float(np.sum((y - y.mean()) ** 2))
        report = {
            "model": self.strategy.model,
            "members": self.strategy.members,
            "log_transform": self.log,
            "n_designs": len(y),
            "n_replicated": int((data.count > 1).sum()),
            "noise_sd": data.relative_noise if self.log else data.noise_sd,
            "sd_scale": scale,
            "cv_r2": float(1 - np.sum(residual**2) / ss) if ss > 0 else None,
            "cv_spearman": float(spearmanr(y, held_mean).statistic) if len(y) > 2 else None,
            "coverage_95": float(np.mean(np.abs(residual) <= 1.96 * total_sd)),
        }
        return scale, report

    def predict(self, designs: Sequence[Design]) -> tuple[np.ndarray, np.ndarray]:
        """Calibrated predictive mean and sd of new designs, in model space."""
        mean, sd = self._spread(self.members, self.encoder.encode(designs))
        return mean, np.sqrt((self.scale * sd) ** 2 + self.noise_sd**2)

    def prediction(self, mean: float, sd: float) -> Prediction:
        """A model-space prediction in the objective's units (log-normal moments after a log)."""
        mean = self.sign * mean
        if not self.log:
            return Prediction(float(mean), float(sd))
        return Prediction(*lognormal_moments(float(mean), float(sd)))


MAX_LOG_VARIANCE = 350.0
"""Largest log-space variance (and log mean) used for log-normal moments.

``exp`` overflows past ~709; with both capped at 350 the sd stays below ``e^525``.
"""


def lognormal_moments(mean: float, sd: float) -> tuple[float, float]:
    """Mean and sd, in the objective's units, of ``exp(N(mean, sd²))``.

    The variance is capped at :data:`MAX_LOG_VARIANCE` so that both moments stay
    finite floats (a prediction's sd must serialize to JSON): an sd of
    ``e^175`` says no less than infinity that the model knows nothing there.
    """
    variance = min(sd**2, MAX_LOG_VARIANCE)
    value = float(np.exp(min(mean + variance / 2, MAX_LOG_VARIANCE)))
    return value, value * float(np.sqrt(np.expm1(variance)))


def _new_model(kind: str, seed: int) -> Any:
    if kind == "forest":
        from sklearn.ensemble import RandomForestRegressor

        return RandomForestRegressor(n_estimators=60, min_samples_leaf=2, random_state=seed)
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(
        n_estimators=120, max_depth=3, learning_rate=0.08, subsample=0.8, random_state=seed
    )


def fit_ensemble(
    problem: Problem,
    observations: Sequence[Observation],
    seed: int,
    strategy: EnsembleStrategy | None = None,
) -> _EnsembleFit:
    """The strategy's model fitted to ``observations`` (for benchmarks and reports).

    Its ``predict(designs)`` gives calibrated means and sds in model space
    (signed, log values when ``log_transform``); ``report`` the fit checks.
    """
    objective = problem.objectives[0]
    data = aggregate(observations, problem.space.names, objective.name)
    return _EnsembleFit(strategy or EnsembleStrategy(), problem, data, objective.sign, seed)
