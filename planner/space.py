"""Search spaces: typed parameters and linear constraints between them.

Parameters are frozen pydantic models discriminated by ``type`` so that a
campaign file validates straight into them, with errors that name the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ParameterValue = float | int | str
"""The value of one parameter in one design."""

_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Parameter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME_PATTERN, description="identifier used in designs and files")
    description: str | None = None

    def contains(self, value: Any) -> bool:  # pragma: no cover - overridden
        """Return whether ``value`` is a legal value of this parameter."""
        raise NotImplementedError


class FloatParameter(_Parameter):
    """A continuous range ``[lower, upper]``, optionally searched on a log scale."""

    type: Literal["float"] = "float"
    bounds: tuple[float, float]
    unit: str | None = None
    log_scale: bool = False

    @field_validator("bounds")
    @classmethod
    def _check_bounds(cls, bounds: tuple[float, float]) -> tuple[float, float]:
        return _ordered_bounds(bounds)

    @model_validator(mode="after")
    def _check_log(self) -> FloatParameter:
        if self.log_scale and self.bounds[0] <= 0:
            raise ValueError(f"log_scale needs a positive lower bound, got {self.bounds[0]}")
        return self

    @property
    def lower(self) -> float:
        """Lower bound."""
        return self.bounds[0]

    @property
    def upper(self) -> float:
        """Upper bound."""
        return self.bounds[1]

    def contains(self, value: Any) -> bool:
        """Return whether ``value`` is a number within the bounds."""
        return _is_number(value) and self.lower <= float(value) <= self.upper


class IntParameter(_Parameter):
    """An integer range ``[lower, upper]`` (both included)."""

    type: Literal["int"] = "int"
    bounds: tuple[int, int]
    unit: str | None = None
    log_scale: bool = False

    @field_validator("bounds")
    @classmethod
    def _check_bounds(cls, bounds: tuple[int, int]) -> tuple[int, int]:
        lower, upper = _ordered_bounds(bounds)
        return int(lower), int(upper)

    @model_validator(mode="after")
    def _check_log(self) -> IntParameter:
        if self.log_scale and self.bounds[0] <= 0:
            raise ValueError(f"log_scale needs a positive lower bound, got {self.bounds[0]}")
        return self

    @property
    def lower(self) -> int:
        """Lower bound."""
        return self.bounds[0]

    @property
    def upper(self) -> int:
        """Upper bound."""
        return self.bounds[1]

    def contains(self, value: Any) -> bool:
        """Return whether ``value`` is a whole number within the bounds."""
        return (
            _is_number(value)
            and float(value).is_integer()
            and self.lower <= int(value) <= self.upper
        )


class CategoricalParameter(_Parameter):
    """An unordered choice among labels (solvents, catalysts, ...)."""

    type: Literal["categorical"] = "categorical"
    choices: tuple[str, ...]

    @field_validator("choices")
    @classmethod
    def _check_choices(cls, choices: tuple[str, ...]) -> tuple[str, ...]:
        return _distinct(choices, "choices")

    def contains(self, value: Any) -> bool:
        """Return whether ``value`` is one of the choices."""
        return value in self.choices


class OrdinalParameter(_Parameter):
    """An ordered choice among levels (e.g. 0.5, 1, 2, 5 mol% or low/medium/high)."""

    type: Literal["ordinal"] = "ordinal"
    levels: tuple[float, ...] | tuple[str, ...]
    unit: str | None = None

    @field_validator("levels")
    @classmethod
    def _check_levels(
        cls, levels: tuple[float, ...] | tuple[str, ...]
    ) -> tuple[float, ...] | tuple[str, ...]:
        return _distinct(levels, "levels")

    @property
    def is_numeric(self) -> bool:
        """Whether the levels are numbers."""
        return all(_is_number(level) for level in self.levels)

    def contains(self, value: Any) -> bool:
        """Return whether ``value`` is one of the levels."""
        return value in self.levels


class MoleculeParameter(_Parameter):
    """A choice among molecules, each given by a label and its SMILES.

    ``choices`` maps a label (what a chemist reads, stored in designs) to a
    SMILES string; an empty SMILES means "nothing added". A plain list of
    SMILES is accepted and then each SMILES is its own label. The encoding
    tells model-based strategies how to featurize the molecules.
    """

    type: Literal["molecule"] = "molecule"
    choices: dict[str, str]
    encoding: Literal["onehot", "descriptors", "morgan"] = "onehot"

    @field_validator("choices", mode="before")
    @classmethod
    def _labels_from_list(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            if len(set(value)) != len(value):
                raise ValueError("choices must be distinct")
            return {str(smiles): str(smiles) for smiles in value}
        return value

    @model_validator(mode="after")
    def _check_smiles(self) -> MoleculeParameter:
        if len(self.choices) < 2:
            raise ValueError("needs at least 2 choices")
        from planner.chemistry import invalid_smiles

        for label, smiles in self.choices.items():
            if smiles and invalid_smiles(smiles):
                raise ValueError(
                    f"invalid SMILES {smiles!r} for choice {label!r} of parameter "
                    f"{self.name!r}: RDKit cannot parse it"
                )
        return self

    def contains(self, value: Any) -> bool:
        """Return whether ``value`` is one of the labels."""
        return value in self.choices


Parameter = Annotated[
    FloatParameter | IntParameter | CategoricalParameter | OrdinalParameter | MoleculeParameter,
    Field(discriminator="type"),
]
NumericParameter = FloatParameter | IntParameter

_TERM = re.compile(
    r"\s*(?P<sign>[+-])?\s*(?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)?"
    r"\s*(?P<times>\*)?\s*(?P<name>[A-Za-z_]\w*)\s*"
)


class LinearConstraint(BaseModel):
    """``sum(coefficients[name] * value[name]) <= bound`` over numeric parameters.

    In files it is written as a string, e.g. ``"flow_a + 2.5 * flow_b <= 10"``
    (``>=`` is accepted and stored with the signs flipped).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    coefficients: dict[str, float]
    bound: float
    text: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return parse_linear_constraint(value)
        return value

    def slack(self, design: Mapping[str, Any]) -> float:
        """Return ``bound - lhs``: non-negative when ``design`` satisfies the constraint."""
        lhs = sum(c * float(design[name]) for name, c in self.coefficients.items())
        return self.bound - lhs

    def is_satisfied(self, design: Mapping[str, Any], tolerance: float = 1e-9) -> bool:
        """Return whether ``design`` satisfies the constraint (within ``tolerance``)."""
        return self.slack(design) >= -tolerance * max(1.0, abs(self.bound))


def parse_linear_constraint(text: str) -> dict[str, Any]:
    """Parse ``"a + 2*b <= 10"`` into coefficients and a bound.

    Raises:
        ValueError: The text is not a linear inequality over named parameters.
    """
    match = re.fullmatch(r"(.+?)(<=|>=)(.+)", text.strip())
    if not match:
        raise ValueError(f"constraint {text!r} must have the form 'a + 2*b <= 10' (or >=)")
    lhs, op, rhs = match.groups()
    try:
        bound = float(rhs)
    except ValueError:
        raise ValueError(
            f"constraint {text!r}: right-hand side {rhs.strip()!r} must be a number"
        ) from None
    coefficients: dict[str, float] = {}
    position = 0
    while position < len(lhs):
        term = _TERM.match(lhs, position)
        first = position == 0
        if not term or term.end() == position or (not first and not term["sign"]):
            raise ValueError(f"constraint {text!r}: cannot read {lhs[position:].strip()!r}")
        if term["times"] and not term["number"]:
            raise ValueError(f"constraint {text!r}: '*' needs a number before it")
        value = float(term["number"]) if term["number"] else 1.0
        value = -value if term["sign"] == "-" else value
        coefficients[term["name"]] = coefficients.get(term["name"], 0.0) + value
        position = term.end()
    if not coefficients:
        raise ValueError(f"constraint {text!r} names no parameter")
    sign = 1.0 if op == "<=" else -1.0
    return {
        "coefficients": {k: sign * v for k, v in coefficients.items()},
        "bound": sign * bound,
        "text": text.strip(),
    }


class SearchSpace(BaseModel):
    """The parameters of a design and the linear constraints between them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parameters: tuple[Parameter, ...]
    constraints: tuple[LinearConstraint, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> SearchSpace:
        if not self.parameters:
            raise ValueError("a search space needs at least one parameter")
        names = [p.name for p in self.parameters]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"parameter names must be unique; repeated: {', '.join(duplicated)}")
        numeric = {p.name for p in self.parameters if isinstance(p, FloatParameter | IntParameter)}
        for index, constraint in enumerate(self.constraints):
            unknown = sorted(set(constraint.coefficients) - set(names))
            if unknown:
                raise ValueError(
                    f"constraints[{index}] ({constraint.text}) names unknown "
                    f"parameter(s) {', '.join(unknown)}; known: {', '.join(names)}"
                )
            not_numeric = sorted(set(constraint.coefficients) - numeric)
            if not_numeric:
                raise ValueError(
                    f"constraints[{index}] ({constraint.text}) uses non-numeric "
                    f"parameter(s) {', '.join(not_numeric)}; only float and int "
                    "parameters may appear in linear constraints"
                )
            _check_reachable(constraint, {p.name: p for p in self.parameters}, index)
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

    def is_feasible(self, design: Mapping[str, Any]) -> bool:
        """Return whether every value is legal and every constraint holds."""
        return all(
            p.name in design and p.contains(design[p.name]) for p in self.parameters
        ) and all(c.is_satisfied(design) for c in self.constraints)

    def validate_design(self, design: Mapping[str, Any]) -> dict[str, ParameterValue]:
        """Return ``design`` with values coerced to their parameter types.

        Raises:
            ValueError: Naming the unknown, missing or out-of-range parameter,
                or the violated constraint.
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
        return out


def coerce_value(parameter: Parameter, value: Any) -> ParameterValue:
    """Return ``value`` as the type of ``parameter``.

    Raises:
        ValueError: The value is not legal for the parameter; the message says what is.
    """
    if isinstance(parameter, IntParameter) and _is_number(value) and float(value).is_integer():
        value = int(value)
    elif _is_number(value) and (
        isinstance(parameter, FloatParameter)
        or (isinstance(parameter, OrdinalParameter) and parameter.is_numeric)
    ):
        value = float(value)
    if not parameter.contains(value):
        raise ValueError(f"{parameter.name}={value!r} is not allowed; {describe_domain(parameter)}")
    return value


def describe_domain(parameter: Parameter) -> str:
    """Return a short human description of the values a parameter allows."""
    if isinstance(parameter, FloatParameter | IntParameter):
        unit = f" {parameter.unit}" if parameter.unit else ""
        kind = "a number" if isinstance(parameter, FloatParameter) else "a whole number"
        return f"expected {kind} in [{parameter.lower}, {parameter.upper}]{unit}"
    if isinstance(parameter, OrdinalParameter):
        return "expected one of " + ", ".join(map(str, parameter.levels))
    return "expected one of " + ", ".join(map(str, parameter.choices))


def _ordered_bounds(bounds: Sequence[float]) -> tuple[float, float]:
    lower, upper = bounds
    if not (math.isfinite(lower) and math.isfinite(upper)):
        raise ValueError(f"bounds must be finite numbers, got [{lower}, {upper}]")
    if not lower < upper:
        raise ValueError(f"lower {_fmt(lower)} must be < upper {_fmt(upper)}")
    return float(lower), float(upper)


def _distinct(values: tuple[Any, ...], what: str) -> tuple[Any, ...]:
    if len(values) < 2:
        raise ValueError(f"needs at least 2 {what}")
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{what} must be distinct; repeated: {', '.join(repeated)}")
    return values


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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float) -> str:
    return f"{value:g}"
