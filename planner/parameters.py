"""Parameters: the typed axes of a search space.

Parameters are frozen pydantic models discriminated by ``type`` so that a
campaign file validates straight into them, with errors that name the field.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
    tells model-based strategies how to featurize the molecules: ``onehot``,
    ``descriptors`` (decorrelated RDKit 2D descriptors), ``morgan``
    (fingerprint bits) or ``combined`` (one-hot and descriptors, mixed by the
    kernel); ``bo-candidates``' option ``molecules`` can override it.
    """

    type: Literal["molecule"] = "molecule"
    choices: dict[str, str]
    encoding: Literal["onehot", "descriptors", "morgan", "combined"] = "onehot"

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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float) -> str:
    return f"{value:g}"


ChoiceParameter = CategoricalParameter | OrdinalParameter | MoleculeParameter
"""Parameters whose values are a finite list of labels or levels."""


def choices_of(parameter: Parameter) -> tuple[ParameterValue, ...]:
    """Return every value a discrete parameter allows, in declaration order.

    Raises:
        TypeError: ``parameter`` is continuous.
    """
    if isinstance(parameter, OrdinalParameter):
        return tuple(parameter.levels)
    if isinstance(parameter, CategoricalParameter):
        return parameter.choices
    if isinstance(parameter, MoleculeParameter):
        return tuple(parameter.choices)
    if isinstance(parameter, IntParameter):
        return tuple(range(parameter.lower, parameter.upper + 1))
    raise TypeError(f"{parameter.name} is continuous; it has no list of choices")


def is_discrete_parameter(parameter: Parameter) -> bool:
    """Return whether ``parameter`` takes finitely many values."""
    return not isinstance(parameter, FloatParameter)
