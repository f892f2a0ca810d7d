"""CSV fields built without ``csv.writer`` per row are exactly what it writes."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest

from datastore.csv_fields import CsvFields

ODD: list[Any] = [
    None, "", " ", "plain", "a,b", 'say "hi"', "line\nbreak", "carriage\rreturn", "tab\tbed",
    "Pd–é", '"', ",", "\n", 0, -1, 10**30, True, False, 0.0, -0.0, 0.1, 1e-05, 1e16, 1.5e300,
    2.5e-300, math.inf, -math.inf, 1 / 3, 123456789.125, {"nested": [1, 2]}, ("a", "b"),
]  # fmt: skip


def _written(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


@pytest.mark.parametrize("value", ODD, ids=repr)
def test_a_field_is_what_csv_writer_writes_between_others(value: Any) -> None:
    fields = CsvFields()
    line = ",".join(["1", fields.field(value), fields.field(value), "x"]) + "\n"
    assert line == _written([[1, value, value, "x"]])


def test_a_missing_or_nan_cell_is_empty() -> None:
    fields = CsvFields()
    assert fields.field(None) == fields.field(math.nan) == ""


def test_joined_fields_are_a_stretch_of_a_row() -> None:
    fields = CsvFields()
    for start in range(len(ODD)):
        cells = ODD[start : start + 4]
        assert fields.joined(cells) + ",\n" == _written([[*cells, None]])
    assert fields.joined([""]) == "" and fields.joined([None, None]) == ","


def test_joined_refuses_no_cells() -> None:
    with pytest.raises(ValueError, match="no cells"):
        CsvFields().joined([])


def test_a_row_is_csv_writers_row() -> None:
    fields = CsvFields()
    for cells in ([None], [""], ["a"], ODD):
        assert fields.row(cells) == _written([cells])
