"""Our problems in BayBE's terms: parameters, search spaces and objectives.

Imported only by :mod:`planner.baybe_campaign`, on the first call of the
``baybe`` strategy: it imports BayBE, an optional extra.

Each of our parameters becomes one BayBE parameter, with a pair of functions
that carry values across (our value → BayBE's column value and back):

- float → ``NumericalContinuousParameter`` (``NumericalDiscreteParameter`` over
  the table's values when the problem has a candidate table);
- int → ``NumericalDiscreteParameter`` over the values in use plus the bounds;
- ordinal with numeric levels → ``NumericalDiscreteParameter`` over the levels;
  with text levels → over the level positions 0, 1, … (BayBE sorts text
  labels, which would lose the order);
- categorical, and molecule with ``molecules="onehot"`` → one-hot
  ``CategoricalParameter``; molecule with ``molecules="substance"`` →
  ``SubstanceParameter`` from the SMILES (BayBE's chem extra).

A log-scaled float or int is handed to BayBE as the logarithm of its value,
so that BayBE models and searches it on the scale we declared.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
from baybe.acquisition import qLogNEHVI
from baybe.constraints import ContinuousLinearConstraint
from baybe.exceptions import OptionalImportError
from baybe.objectives import ParetoObjective, SingleTargetObjective
from baybe.parameters import (
    CategoricalParameter as BayBECategorical,
)
from baybe.parameters import (
    NumericalContinuousParameter,
    NumericalDiscreteParameter,
    SubstanceParameter,
)
from baybe.recommenders import BotorchRecommender, TwoPhaseMetaRecommender
from baybe.searchspace import SearchSpace as BayBESearchSpace
from baybe.searchspace import SubspaceContinuous, SubspaceDiscrete
from baybe.targets import NumericalTarget

from planner.candidates import CandidateSet, enumerate_space
from planner.errors import PlannerError
from planner.problem import Design, Problem
from planner.space import (
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    LinearConstraint,
    MoleculeParameter,
    OrdinalParameter,
    Parameter,
    ParameterValue,
    SearchSpace,
)

Molecules = Literal["onehot", "substance"]


@dataclass(frozen=True)
class Codec:
    """One of our parameters as a BayBE parameter, and its values both ways."""

    name: str
    baybe: Any
    """The BayBE parameter."""
    to_baybe: Callable[[ParameterValue], float | str]
    from_baybe: Callable[[Any], ParameterValue]


def check_supported(problem: Problem) -> None:
    """Refuse what BayBE cannot be told faithfully.

    Raises:
        PlannerError: Naming the feature (outcome constraints, fixed-per-batch
            parameters, reference points on only some objectives, or a linear
            constraint that mixes float and int parameters or uses a log-scaled float).
    """
    space = problem.space
    if problem.outcome_constraints:
        listed = ", ".join(map(str, problem.outcome_constraints))
        raise PlannerError(
            f"the baybe strategy does not support outcome constraints ({listed}); "
            "use 'bo' or 'bo-candidates'"
        )
    if space.fixed_per_batch:
        raise PlannerError(
            "the baybe strategy does not support fixed_per_batch parameters "
            f"({', '.join(space.fixed_per_batch)}); use 'bo' or 'bo-candidates'"
        )
    references = [o.reference_point is not None for o in problem.objectives]
    if len(problem.objectives) > 1 and any(references) and not all(references):
        raise PlannerError(
            "the baybe strategy needs a reference_point on every objective or on none "
            "(BayBE then derives one from the data)"
        )
    if problem.candidates is None and not space.is_discrete:
        for constraint in space.constraints:
            continuous_constraint(space, constraint)


def continuous_constraint(space: SearchSpace, constraint: LinearConstraint) -> bool:
    """Whether a linear constraint is over floats only (else over ints only).

    Raises:
        PlannerError: It mixes floats with ints, or a float in it is log-scaled.
    """
    kinds = {type(space.parameter(name)) for name in constraint.coefficients}
    text = constraint.text or str(constraint.coefficients)
    if kinds == {FloatParameter, IntParameter}:
        raise PlannerError(
            f"the baybe strategy does not support linear constraints that mix float and "
            f"int parameters ({text}); BayBE's linear constraints are over floats only"
        )
    if kinds != {FloatParameter}:
        return False
    logged = [n for n in constraint.coefficients if _log_scaled(space.parameter(n))]
    if logged:
        raise PlannerError(
            f"the baybe strategy does not support linear constraints on log-scaled "
            f"parameters ({text}: {', '.join(logged)})"
        )
    return True


def discrete_table(problem: Problem, limit: int) -> CandidateSet | None:
    """The designs BayBE may choose among when the space is finite, else ``None``.

    That is the problem's candidate table, or every allowed design of a discrete
    space (exclusions and constraints applied).

    Raises:
        PlannerError: A discrete space of more than ``limit`` designs.
    """
    if problem.candidates is not None:
        return problem.candidates
    if not problem.space.is_discrete:
        return None
    table = enumerate_space(problem.space, limit)
    if table is None:
        raise PlannerError(_too_large(problem.space.discrete_size(), limit))
    return table


def discrete_part(space: SearchSpace, limit: int) -> CandidateSet | None:
    """Every allowed combination of the discrete parameters of a space with floats.

    Exclusions (which name discrete parameters only) and linear constraints
    over ints apply; ``None`` when the space has no discrete parameter.

    Raises:
        PlannerError: More than ``limit`` combinations.
    """
    parameters = tuple(p for p in space.parameters if not isinstance(p, FloatParameter))
    if not parameters:
        return None
    constraints = tuple(c for c in space.constraints if not continuous_constraint(space, c))
    sub = SearchSpace(parameters=parameters, constraints=constraints, exclusions=space.exclusions)
    table = enumerate_space(sub, limit)
    if table is None:
        raise PlannerError(_too_large(sub.discrete_size(), limit, " discrete part"))
    return table


def _too_large(size: int, limit: int, what: str = "") -> str:
    return (
        f"the baybe strategy enumerates the{what} space's designs; it has {size}, more "
        f"than max_candidates={limit} (give the problem a candidate table or raise "
        "max_candidates)"
    )


def codecs(
    space: SearchSpace,
    molecules: Molecules,
    table: pd.DataFrame | None,
    seen: Sequence[Design],
    continuous: bool,
) -> list[Codec]:
    """The BayBE parameters of a space, in its order.

    Args:
        space: Our search space.
        molecules: How molecule parameters are encoded.
        table: The discrete designs BayBE chooses among (values of numeric columns
            become the values of discrete numeric parameters).
        seen: Observed and pending designs, whose values BayBE must also accept.
        continuous: Whether floats are continuous (no candidate table).
    """
    out = []
    for p in space.parameters:
        column = list(table[p.name]) if table is not None and p.name in table else []
        used = [*column, *(d[p.name] for d in seen if p.name in d)]
        out.append(_codec(p, molecules, used, continuous))
    return out


def _codec(
    p: Parameter, molecules: Molecules, used: list[ParameterValue], continuous: bool
) -> Codec:
    if isinstance(p, CategoricalParameter) or (
        isinstance(p, MoleculeParameter) and molecules == "onehot"
    ):
        labels = tuple(p.choices)
        _check_labels(p.name, labels)
        return Codec(p.name, BayBECategorical(name=p.name, values=labels, encoding="OHE"), str, str)
    if isinstance(p, MoleculeParameter):
        return Codec(p.name, _substance(p), str, str)
    if isinstance(p, OrdinalParameter):
        return _ordinal(p)
    forward, back = _scale(p)
    if isinstance(p, FloatParameter) and continuous:
        bounds = (forward(p.lower), forward(p.upper))
        return Codec(
            p.name,
            NumericalContinuousParameter(name=p.name, bounds=bounds),
            forward,
            lambda v: min(max(back(float(v)), p.lower), p.upper),
        )
    values = sorted({forward(v) for v in [*used, p.lower, p.upper]})
    if isinstance(p, IntParameter):
        return Codec(
            p.name,
            NumericalDiscreteParameter(name=p.name, values=values),
            forward,
            lambda v: round(back(float(v))),
        )
    return Codec(
        p.name,
        NumericalDiscreteParameter(name=p.name, values=values),
        forward,
        lambda v: back(float(v)),
    )


def _ordinal(p: OrdinalParameter) -> Codec:
    if p.is_numeric:
        numbers = [float(v) for v in p.levels]
        return Codec(
            p.name,
            NumericalDiscreteParameter(name=p.name, values=numbers),
            float,
            lambda v: min(numbers, key=lambda level: abs(level - float(v))),
        )
    labels = [str(v) for v in p.levels]
    return Codec(
        p.name,
        NumericalDiscreteParameter(name=p.name, values=[float(i) for i in range(len(labels))]),
        lambda v: float(labels.index(str(v))),
        lambda v: labels[round(float(v))],
    )


def _scale(
    p: FloatParameter | IntParameter,
) -> tuple[Callable[[Any], float], Callable[[float], float]]:
    if p.log_scale:
        return (lambda v: math.log(float(v))), math.exp
    return float, float


def _log_scaled(p: Parameter) -> bool:
    return isinstance(p, FloatParameter | IntParameter) and p.log_scale


def _check_labels(name: str, labels: Sequence[str]) -> None:
    if any(label == "" for label in labels):
        raise PlannerError(
            f"parameter {name!r} has an empty label; BayBE needs every label to have "
            "at least one character"
        )


def _substance(p: MoleculeParameter) -> Any:
    empty = [label for label, smiles in p.choices.items() if not smiles]
    if empty:
        raise PlannerError(
            f"molecules='substance': choice(s) {', '.join(map(repr, empty))} of parameter "
            f"{p.name!r} have no SMILES, which BayBE's SubstanceParameter cannot encode; "
            "use molecules='onehot'"
        )
    _check_labels(p.name, list(p.choices))
    try:
        return SubstanceParameter(name=p.name, data=dict(p.choices))
    except OptionalImportError as exc:
        raise PlannerError(f"molecules='substance' needs BayBE's chem extra: {exc}") from None


def frame(designs: Sequence[Mapping[str, Any]], parts: Sequence[Codec]) -> pd.DataFrame:
    """Designs as BayBE rows (columns in the space's order, index 0, 1, …)."""
    return pd.DataFrame(
        {c.name: [c.to_baybe(d[c.name]) for d in designs] for c in parts},
        columns=[c.name for c in parts],
    )


def decode(row: Mapping[Any, Any], parts: Sequence[Codec]) -> dict[str, ParameterValue]:
    """One of BayBE's recommended rows as our design (not yet validated)."""
    return {c.name: c.from_baybe(row[c.name]) for c in parts}


def search_space(
    space: SearchSpace, parts: Sequence[Codec], table: pd.DataFrame | None
) -> BayBESearchSpace:
    """The BayBE search space: the table's rows, plus the floats' ranges when not a table.

    Args:
        space: Our space (for its linear constraints over floats).
        parts: Codecs of every parameter.
        table: The discrete designs (BayBE rows); ``None`` when every parameter is a float.
    """
    discrete = [c.baybe for c in parts if not isinstance(c.baybe, NumericalContinuousParameter)]
    floats = [c.baybe for c in parts if isinstance(c.baybe, NumericalContinuousParameter)]
    subspace = (
        SubspaceDiscrete.from_dataframe(table[[p.name for p in discrete]], discrete)
        if table is not None
        else SubspaceDiscrete.empty()
    )
    if not floats:
        return BayBESearchSpace(discrete=subspace)
    linear = [
        ContinuousLinearConstraint(
            parameters=list(c.coefficients),
            operator="<=",
            coefficients=list(c.coefficients.values()),
            rhs=c.bound,
        )
        for c in space.constraints
        if continuous_constraint(space, c)
    ]
    return BayBESearchSpace(
        discrete=subspace,
        continuous=SubspaceContinuous(parameters=floats, constraints_lin_ineq=linear),
    )


def objective(problem: Problem) -> Any:
    """One objective as a single target, several as a Pareto objective."""
    targets = [
        NumericalTarget(o.name, minimize=o.direction == "minimize") for o in problem.objectives
    ]
    if len(targets) == 1:
        return SingleTargetObjective(targets[0])
    return ParetoObjective(targets)


def recommender(problem: Problem) -> Any:
    """BayBE's default recommender; with reference points, they set qLogNEHVI's.

    BayBE's hypervolume works on targets oriented to be maximized, so a
    minimized objective's reference point changes sign.
    """
    objectives = problem.objectives
    if len(objectives) == 1 or objectives[0].reference_point is None:
        return TwoPhaseMetaRecommender()
    point = tuple(o.sign * float(o.reference_point or 0.0) for o in objectives)
    acquisition = qLogNEHVI(reference_point=point)
    return TwoPhaseMetaRecommender(recommender=BotorchRecommender(acquisition_function=acquisition))
