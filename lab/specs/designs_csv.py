"""Read a table of designs (one row per experiment), checked against the parameters."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

from lab.specs.yamlio import SpecError
from planner import Parameter
from planner.space import (
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    MoleculeParameter,
    OrdinalParameter,
    ParameterValue,
)

NUMBER_COLUMN = "experiment"


def read_designs(
    path: Path, parameters: tuple[Parameter, ...]
) -> list[tuple[int, dict[str, ParameterValue]]]:
    """Read ``path``: a column per parameter, optionally an ``experiment`` column of numbers.

    Returns:
        ``(experiment number, design)`` pairs; rows are numbered 1, 2, ...
        when there is no ``experiment`` column.

    Raises:
        SpecError: Missing or unknown columns, an empty table, repeated
            experiment numbers, or a value outside its parameter's domain;
            the message names the file, row and column.
    """
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SpecError(f"{path}: cannot read designs: {exc}") from None
    _check_columns(path, header, parameters)
    if not rows:
        raise SpecError(f"{path}: no designs (the table has a header only)")
    designs = [_row(path, n, row, parameters) for n, row in enumerate(rows, start=2)]
    numbers = [number for number, _ in designs]
    if len(set(numbers)) != len(numbers):
        raise SpecError(f"{path}: column {NUMBER_COLUMN!r} repeats experiment numbers")
    return designs


def _check_columns(path: Path, header: list[str], parameters: tuple[Parameter, ...]) -> None:
    names = [p.name for p in parameters]
    missing = [n for n in names if n not in header]
    unknown = [h for h in header if h not in names and h != NUMBER_COLUMN]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    if problems:
        raise SpecError(
            f"{path}: {'; '.join(problems)}; expected one column per parameter "
            f"({', '.join(names)}) and optionally {NUMBER_COLUMN!r}"
        )


def _row(
    path: Path, line: int, row: dict[str, str], parameters: tuple[Parameter, ...]
) -> tuple[int, dict[str, ParameterValue]]:
    number = line - 1
    if row.get(NUMBER_COLUMN):
        number = int(_number(path, line, NUMBER_COLUMN, row[NUMBER_COLUMN], integer=True))
    design: dict[str, ParameterValue] = {}
    for parameter in parameters:
        text = row[parameter.name]
        value = _value(path, line, parameter, text)
        if not parameter.contains(value):
            raise SpecError(
                f"{path}:{line}: column {parameter.name!r}: {text!r} is not allowed "
                f"({_domain(parameter)})"
            )
        design[parameter.name] = value
    return number, design


def _value(path: Path, line: int, parameter: Parameter, text: str) -> ParameterValue:
    if isinstance(parameter, FloatParameter):
        return _number(path, line, parameter.name, text)
    if isinstance(parameter, IntParameter):
        return int(_number(path, line, parameter.name, text, integer=True))
    if isinstance(parameter, OrdinalParameter) and parameter.is_numeric:
        return _number(path, line, parameter.name, text)
    return text


def _number(path: Path, line: int, column: str, text: str, integer: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or (integer and not value.is_integer()):
        kind = "an integer" if integer else "a number"
        raise SpecError(f"{path}:{line}: column {column!r}: {text!r} is not {kind}")
    return value


def _domain(parameter: Any) -> str:
    if isinstance(parameter, FloatParameter | IntParameter):
        return f"bounds {parameter.lower:g} to {parameter.upper:g}"
    if isinstance(parameter, CategoricalParameter):
        return f"choices: {', '.join(parameter.choices)}"
    if isinstance(parameter, MoleculeParameter):
        return f"choices: {', '.join(parameter.choices)}"
    if isinstance(parameter, OrdinalParameter):
        return f"levels: {', '.join(map(str, parameter.levels))}"
    return "see the campaign file"
