"""Constraints between parameters: linear inequalities and excluded combinations."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

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


class Exclusion(BaseModel):
    """A combination of choices that must never be proposed together.

    A design is excluded when, for every parameter named in ``when``, its value
    is one of the listed ones; e.g. ``{"base": ["NaOH", "KOH"], "solvent":
    ["MeOH"]}`` forbids both hydroxides in methanol (incompatible reagent
    pairs). Only discrete parameters (categorical, ordinal, molecule, integer)
    may be named. In files it may also be written as a string,
    ``"base in (NaOH, KOH) and solvent = MeOH"``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    when: dict[str, tuple[float | int | str, ...]]
    reason: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"when": parse_exclusion(value)}
        if isinstance(value, Mapping) and "when" in value:
            when = {
                str(name): tuple(v) if isinstance(v, list | tuple) else (v,)
                for name, v in dict(value["when"]).items()
            }
            return {**value, "when": when}
        return value

    @model_validator(mode="after")
    def _check(self) -> Exclusion:
        if not self.when:
            raise ValueError("an exclusion must name at least one parameter")
        empty = [name for name, values in self.when.items() if not values]
        if empty:
            raise ValueError(f"exclusion lists no value for {', '.join(empty)}")
        return self

    def excludes(self, design: Mapping[str, Any]) -> bool:
        """Return whether ``design`` is one of the forbidden combinations."""
        return all(design[name] in values for name, values in self.when.items())

    def __str__(self) -> str:
        terms = [
            f"{name} = {values[0]}"
            if len(values) == 1
            else f"{name} in ({', '.join(map(str, values))})"
            for name, values in self.when.items()
        ]
        return " and ".join(terms)


_EXCLUSION_TERM = re.compile(
    r"\s*(?P<name>[A-Za-z_]\w*)\s*(?:(?P<eq>==?)\s*(?P<value>[^()]+?)|in\s*\((?P<values>[^)]*)\))\s*"
)


def parse_exclusion(text: str) -> dict[str, tuple[str, ...]]:
    """Parse ``"base in (NaOH, KOH) and solvent = MeOH"`` into ``{name: values}``.

    Values are kept as text; the search space converts them to its parameters'
    types when it validates the exclusion.

    Raises:
        ValueError: The text is not a conjunction of ``name = value`` and
            ``name in (v1, v2)`` terms.
    """
    when: dict[str, tuple[str, ...]] = {}
    for part in re.split(r"\s+and\s+", text.strip()):
        match = _EXCLUSION_TERM.fullmatch(part)
        if not match:
            raise ValueError(
                f"exclusion {text!r}: cannot read {part.strip()!r}; write terms like "
                "'base = NaOH' or 'base in (NaOH, KOH)' joined by 'and'"
            )
        raw = match["value"] if match["eq"] else match["values"]
        values = tuple(v.strip() for v in raw.split(",") if v.strip())
        if match["name"] in when:
            raise ValueError(f"exclusion {text!r} names {match['name']!r} twice")
        when[match["name"]] = values
    return when
