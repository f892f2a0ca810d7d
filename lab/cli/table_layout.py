"""Tables that fit the terminal: wrapped cells when wide enough, one block per row when not.

Under :data:`NARROW_COLUMNS` terminal columns a table of more than
:data:`MAX_NARROW_COLUMNS` columns that does not fit is printed vertically:
one key/value block per row (``field  value``), so nothing is squashed into
one-character columns. Otherwise every cell may wrap (``overflow="fold"``)
instead of being cut.
"""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Table

NARROW_COLUMNS = 100
"""Terminal width under which wide tables switch to the vertical layout."""
MAX_NARROW_COLUMNS = 4
"""Most columns a table keeps in a narrow terminal."""


def fit(table: Table, console: Console) -> RenderableType:
    """``table`` laid out for ``console``'s width."""
    width = console.width
    natural = Measurement.get(console, console.options.update(width=10_000), table).maximum
    if width >= NARROW_COLUMNS or len(table.columns) <= MAX_NARROW_COLUMNS or natural <= width:
        for column in table.columns:
            if not column.no_wrap:
                column.overflow = "fold"
        return table
    return vertical(table)


def vertical(table: Table) -> Table:
    """One ``field  value`` block per row of ``table``, blocks separated by a rule."""
    out = Table(title=table.title, show_header=False)
    out.add_column("field", style="bold", no_wrap=True)
    out.add_column("value", overflow="fold")
    columns = table.columns
    rows = list(zip(*(list(c.cells) for c in columns), strict=True)) if columns else []
    for index, row in enumerate(rows):
        if index:
            out.add_section()
        for column, cell in zip(columns, row, strict=True):
            out.add_row(str(column.header) or " ", cell)
    return out
