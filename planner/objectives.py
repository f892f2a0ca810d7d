"""Objectives and outcome constraints."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Objective(BaseModel):
    """One measured quantity to maximize or minimize."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME_PATTERN)
    direction: Literal["maximize", "minimize"] = "maximize"
    unit: str | None = None
    reference_point: float | None = Field(
        default=None,
        description="worst acceptable value, used as hypervolume reference for several objectives",
    )

    @property
    def sign(self) -> float:
        """+1 to maximize, -1 to minimize: ``sign * value`` is always maximized."""
        return 1.0 if self.direction == "maximize" else -1.0

    def better(self, a: float, b: float) -> bool:
        """Return whether ``a`` is strictly better than ``b``."""
        return self.sign * a > self.sign * b


class OutcomeConstraint(BaseModel):
    """A bound a measured quantity must respect, e.g. ``selectivity >= 90``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME_PATTERN)
    op: Literal["<=", ">="]
    bound: float

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*(<=|>=)\s*(\S+)\s*", value)
            if not match:
                raise ValueError(f"outcome constraint {value!r} must look like 'selectivity >= 90'")
            name, op, bound = match.groups()
            try:
                return {"name": name, "op": op, "bound": float(bound)}
            except ValueError:
                raise ValueError(
                    f"outcome constraint {value!r}: bound {bound!r} is not a number"
                ) from None
        return value

    def is_satisfied(self, value: float) -> bool:
        """Return whether ``value`` respects the bound."""
        return value <= self.bound if self.op == "<=" else value >= self.bound

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.bound:g}"
