"""Rows of a Core query as the database driver returns them: tuples, no result processing.

The exports of 100,000 experiments read a few hundred thousand rows of a
handful of plain columns (integers, text, floats, times). SQLAlchemy's
result rows and type processors cost more than the driver's own fetch
there, so those reads compile the query once for the connection's dialect
and run it on the driver's cursor of the same connection (same transaction,
same snapshot). Values are the driver's: a JSON column cast to text is a
``str``; a time is a ``str`` on SQLite (see :func:`stored_time`) and a
``datetime`` on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.sql import Select

PLAIN = (int, float, str)
"""Bound values passed to the driver as they are (no bind processing is applied)."""


def driver_rows(connection: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """Every row of ``query`` as a plain tuple, fetched on ``connection``'s driver cursor.

    Raises:
        TypeError: A bound value that is not a number or text (it would need the
            type's bind processing).
    """
    compiled = query.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    odd = {k: v for k, v in compiled.params.items() if not isinstance(v, PLAIN)}
    if odd:
        raise TypeError(f"driver_rows binds only numbers and text, not {odd!r}")
    params: Any = compiled.params
    if compiled.positiontup is not None:  # qmark / format styles (SQLite, psycopg2 positional)
        params = tuple(compiled.params[name] for name in compiled.positiontup)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def stored_time(value: datetime | str) -> datetime:
    """A time column's value as a ``datetime`` (SQLite's driver returns the stored text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
