"""Errors of the routes room: each names what is wrong and where."""

from __future__ import annotations


class RouteError(Exception):
    """A route cannot be proposed, read, edited or checked."""


class RouteInputError(RouteError):
    """Bad input: an invalid SMILES, a target already in stock, a template that does not apply.

    Attributes:
        where: What the bad value belongs to (``target``, ``stock.csv line 4``,
            ``step 2``), so the message reads ``where: what``.
    """

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}")
