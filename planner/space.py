"""Search spaces: typed parameters and the constraints between them.

A space holds its parameters, linear constraints over numeric parameters,
exclusions (combinations of choices never to propose together) and the
parameters that must take one value for a whole batch (one temperature for a
plate). Parameter and constraint models live in :mod:`planner.parameters` and
:mod:`planner.constraints`; they are re-exported here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from planner.constraints import Exclusion, LinearConstraint, parse_linear_constraint
from planner.parameters import (
    CategoricalParameter,
    ChoiceParameter,
    FloatParameter,
    IntParameter,
    MoleculeParameter,
    NumericParameter,
    OrdinalParameter,
    Parameter,
    ParameterValue,
    choices_of,
    coerce_value,
    describe_domain,
    is_discrete_parameter,
)

MAX_EXCLUSION_CHECK = 1_000_000
"""Largest number of combinations enumerated to check that exclusions leave a design."""


class SearchSpace(BaseModel):
    """The parameters of a design and the constraints between them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parameters: tuple[Parameter, ...]
    constraints: tuple[LinearConstraint, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    fixed_per_batch: tuple[str, ...] = ()
    """Parameters that take one value for all designs of a batch (one plate temperature)."""

    @model_validator(mode="after")
    def _check(self) -> SearchSpace:
        if not self.parameters:
            raise ValueError("a search space needs at least one parameter")
        names = [p.name for p in self.parameters]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"parameter names must be unique; repeated: {', '.join(duplicated)}")
        by_name = {p.name: p for p in self.parameters}
        for index, constraint in enumerate(self.constraints):
            _check_linear(constraint, by_name, index)
        _check_jointly_feasible(self.constraints, by_name)
        for index, exclusion in enumerate(self.exclusions):
            _coerced_exclusion(exclusion, by_name, index)
        _check_not_all_excluded(self.exclusions, by_name)
        unknown = sorted(set(self.fixed_per_batch) - set(names))
        if unknown:
            raise ValueError(
                f"fixed_per_batch names unknown parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(names)}"
            )
        if len(set(self.fixed_per_batch)) != len(self.fixed_per_batch):
            raise ValueError("fixed_per_batch repeats a parameter")
        return self

    @property
    def names(self) -> list[str]:
        """Parameter names in declaration order."""
        return [p.name for p in self.parameters]

    def parameter(self, name: str) -> Parameter:
        """Return the parameter called ``name``.

        Raises:
            KeyError: With the known names listed.
        """
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(f"unknown parameter {name!r}; known: {', '.join(self.names)}")

    @cached_property
    def _exclusion_sets(self) -> list[dict[str, frozenset[ParameterValue]]]:
        by_name = {p.name: p for p in self.parameters}
        return [_coerced_exclusion(e, by_name, i) for i, e in enumerate(self.exclusions)]

    def exclusion_hit(self, design: Mapping[str, Any]) -> Exclusion | None:
        """Return the first exclusion that forbids ``design``, or ``None``."""
        for exclusion, sets in zip(self.exclusions, self._exclusion_sets, strict=True):
            if all(design[name] in values for name, values in sets.items()):
                return exclusion
        return None

    def satisfies_constraints(self, design: Mapping[str, Any]) -> bool:
        """Return whether ``design`` meets every linear constraint and no exclusion."""
        return all(c.is_satisfied(design) for c in self.constraints) and (
            self.exclusion_hit(design) is None
        )

    def is_feasible(self, design: Mapping[str, Any]) -> bool:
        """Return whether every value is legal and every constraint holds."""
        return all(
            p.name in design and p.contains(design[p.name]) for p in self.parameters
        ) and self.satisfies_constraints(design)

    def validate_design(self, design: Mapping[str, Any]) -> dict[str, ParameterValue]:
        """Return ``design`` with values coerced to their parameter types.

        Raises:
            ValueError: Naming the unknown, missing or out-of-range parameter,
                the violated constraint or the exclusion that forbids it.
        """
        unknown = sorted(set(design) - set(self.names))
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(self.names)}"
            )
        out: dict[str, ParameterValue] = {}
        for p in self.parameters:
            if p.name not in design:
                raise ValueError(f"missing value for parameter {p.name!r}")
            out[p.name] = coerce_value(p, design[p.name])
        for constraint in self.constraints:
            if not constraint.is_satisfied(out):
                raise ValueError(f"design violates constraint {constraint.text or constraint}")
        hit = self.exclusion_hit(out)
        if hit is not None:
            why = f" ({hit.reason})" if hit.reason else ""
            raise ValueError(f"design is excluded by {hit}{why}")
        return out

    @property
    def is_discrete(self) -> bool:
        """Whether every parameter takes finitely many values."""
        return all(is_discrete_parameter(p) for p in self.parameters)

    def discrete_size(self) -> int:
        """Number of designs of a discrete space, before constraints and exclusions."""
        return math.prod(len(choices_of(p)) for p in self.parameters if is_discrete_parameter(p))


def _check_linear(
    constraint: LinearConstraint, by_name: Mapping[str, Parameter], index: int
) -> None:
    names = list(by_name)
    unknown = sorted(set(constraint.coefficients) - set(names))
    if unknown:
        raise ValueError(
            f"constraints[{index}] ({constraint.text}) names unknown "
            f"parameter(s) {', '.join(unknown)}; known: {', '.join(names)}"
        )
    numeric = {n for n, p in by_name.items() if isinstance(p, FloatParameter | IntParameter)}
    not_numeric = sorted(set(constraint.coefficients) - numeric)
    if not_numeric:
        raise ValueError(
            f"constraints[{index}] ({constraint.text}) uses non-numeric "
            f"parameter(s) {', '.join(not_numeric)}; only float and int "
            "parameters may appear in linear constraints"
        )
    _check_reachable(constraint, by_name, index)


def _check_jointly_feasible(
    constraints: tuple[LinearConstraint, ...], by_name: Mapping[str, Parameter]
) -> None:
    """Raise if the linear constraints together leave no point inside the bounds."""
    if len(constraints) < 2:
        return
    from scipy.optimize import linprog

    names = sorted({n for c in constraints for n in c.coefficients})
    a_ub = np.array([[c.coefficients.get(n, 0.0) for n in names] for c in constraints])
    b_ub = np.array([c.bound for c in constraints])
    bounds = [(by_name[n].lower, by_name[n].upper) for n in names]  # type: ignore[union-attr]
    result = linprog(np.zeros(len(names)), A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if result.status == 2:
        texts = "; ".join(c.text or str(c.coefficients) for c in constraints)
        raise ValueError(
            f"the linear constraints ({texts}) cannot all hold at once inside the "
            "parameter bounds: no design satisfies them"
        )


def _coerced_exclusion(
    exclusion: Exclusion, by_name: Mapping[str, Parameter], index: int
) -> dict[str, frozenset[ParameterValue]]:
    """Return the exclusion's values converted to the parameters' types.

    Raises:
        ValueError: An unknown or continuous parameter, or a value it does not allow.
    """
    out: dict[str, frozenset[ParameterValue]] = {}
    for name, values in exclusion.when.items():
        parameter = by_name.get(name)
        if parameter is None:
            raise ValueError(
                f"exclusions[{index}] ({exclusion}) names unknown parameter {name!r}; "
                f"known: {', '.join(by_name)}"
            )
        if not is_discrete_parameter(parameter):
            raise ValueError(
                f"exclusions[{index}] ({exclusion}) names continuous parameter {name!r}; "
                "exclusions apply to categorical, ordinal, molecule and int parameters "
                "(use a linear constraint for ranges)"
            )
        coerced = set()
        for value in values:
            try:
                coerced.add(coerce_value(parameter, _typed(parameter, value)))
            except ValueError as exc:
                raise ValueError(f"exclusions[{index}] ({exclusion}): {exc}") from None
        out[name] = frozenset(coerced)
    return out


def _typed(parameter: Parameter, value: Any) -> Any:
    """Numbers written as text (from an exclusion string) back to numbers."""
    numeric = isinstance(parameter, IntParameter) or (
        isinstance(parameter, OrdinalParameter) and parameter.is_numeric
    )
    if numeric and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _check_not_all_excluded(
    exclusions: tuple[Exclusion, ...], by_name: Mapping[str, Parameter]
) -> None:
    """Raise if the exclusions together forbid every combination of their parameters."""
    if not exclusions:
        return
    sets = [_coerced_exclusion(e, by_name, i) for i, e in enumerate(exclusions)]
    names = sorted({n for s in sets for n in s})
    levels = [choices_of(by_name[n]) for n in names]
    if math.prod(len(v) for v in levels) > MAX_EXCLUSION_CHECK:
        return
    for combination in itertools.product(*levels):
        design = dict(zip(names, combination, strict=True))
        if not any(all(design[n] in v for n, v in s.items()) for s in sets):
            return
    raise ValueError(
        "the exclusions forbid every combination of "
        + ", ".join(names)
        + ": no design is left to propose"
    )


def _check_reachable(
    constraint: LinearConstraint, parameters: Mapping[str, Any], index: int
) -> None:
    """Raise if no point inside the bounds can satisfy ``constraint``."""
    lowest = 0.0
    for name, coefficient in constraint.coefficients.items():
        p = parameters[name]
        lowest += coefficient * (p.lower if coefficient > 0 else p.upper)
    if lowest > constraint.bound + 1e-9 * max(1.0, abs(constraint.bound)):
        raise ValueError(
            f"constraints[{index}] ({constraint.text}) cannot be satisfied inside the "
            f"parameter bounds: its smallest possible left-hand side is {_fmt(lowest)}"
        )


def _fmt(value: float) -> str:
    return f"{value:g}"


__all__ = [
    "CategoricalParameter",
    "ChoiceParameter",
    "Exclusion",
    "FloatParameter",
    "IntParameter",
    "LinearConstraint",
    "MoleculeParameter",
    "NumericParameter",
    "OrdinalParameter",
    "Parameter",
    "ParameterValue",
    "SearchSpace",
    "choices_of",
    "coerce_value",
    "describe_domain",
    "parse_linear_constraint",
]
