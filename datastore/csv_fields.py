"""CSV fields exactly as ``csv.writer`` writes them, without running it on every row.

A download of 10,000 experiments writes some 150,000 cells; ``csv.writer``
converts and scans every one of them, and building the row lists it takes
costs as much again. Most cells are numbers, whose field is their ``str``
(``repr`` for a float), which never needs quoting; a missing cell is empty.
Every other value (text: statuses, parameters, errors) is written by
``csv.writer`` itself, once per distinct value, and kept. Rows are then
joined by hand: ``csv.writer`` writes each field on its own and only quotes
a lone empty field differently (``""``), which a table of several columns
never has. The dialect is the downloads': ``excel``, with Unix line ends
(one line feed).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

TEXT_ENTRIES = 20_000
"""Distinct texts kept with their fields before starting afresh (bounds memory)."""


class CsvFields:
    """The CSV field of a cell; ``None`` and NaN are empty, as in the downloads' tables."""

    def __init__(self) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        self._texts: dict[str, str] = {}

    def field(self, value: Any) -> str:
        """The field ``csv.writer`` writes for ``value`` (empty for ``None`` or NaN)."""
        if value is None:
            return ""
        kind = type(value)
        if kind is float:
            return repr(value) if value == value else ""
        if kind is int:
            return str(value)
        if kind is str:
            found = self._texts.get(value)
            if found is None:
                found = self.joined([value])
                if len(self._texts) >= TEXT_ENTRIES:
                    self._texts.clear()
                self._texts[value] = found
            return found
        return self.joined([value])

    def joined(self, cells: Sequence[Any]) -> str:
        """The fields of ``cells`` joined by commas, as in a row (``cells`` not empty).

        Cells go to ``csv.writer`` as they are: a NaN must already be ``None``.

        Raises:
            ValueError: ``cells`` is empty (a row has no empty stretch of fields).
        """
        if not cells:
            raise ValueError("joined: no cells to write")
        self._writer.writerow([*cells, None])  # a trailing empty field: never a lone one
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text[:-2]  # the empty field's comma and the line end

    def row(self, cells: Sequence[Any]) -> str:
        """One whole line of ``cells``, line end included, as ``csv.writer.writerow``."""
        self._writer.writerow(cells)
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text
