"""The stock: building blocks a lab can buy or holds (CSV: smiles, name, price, location)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from routes.chem import canonical
from routes.errors import RouteInputError

STOCK_COLUMNS = ("smiles", "name", "price", "location")
"""Columns of a stock file; ``price`` is per gram (any one currency), ``location`` free text."""


@dataclass(frozen=True)
class StockItem:
    """One building block."""

    smiles: str
    name: str
    price: float
    location: str


class Stock:
    """Building blocks by canonical SMILES."""

    def __init__(self, items: list[StockItem], origin: str = "stock") -> None:
        self.origin = origin
        self.items = {item.smiles: item for item in items}

    def __contains__(self, smiles: object) -> bool:
        return smiles in self.items

    def __len__(self) -> int:
        return len(self.items)

    def price(self, smiles: str) -> float:
        """The price of ``smiles`` (0 when not in stock)."""
        item = self.items.get(smiles)
        return 0.0 if item is None else item.price

    def names(self) -> dict[str, str]:
        """SMILES → name of every item."""
        return {s: item.name for s, item in self.items.items()}

    @classmethod
    def read(cls, path: Path) -> Stock:
        """Read a stock CSV file.

        Raises:
            RouteInputError: Missing file or column, an invalid SMILES or price (naming the line).
        """
        if not path.is_file():
            raise RouteInputError(str(path), "no such stock file")
        return cls.parse(path.read_text(), origin=path.name)

    @classmethod
    def parse(cls, text: str, origin: str = "stock") -> Stock:
        """Parse the text of a stock CSV (see :data:`STOCK_COLUMNS`)."""
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in STOCK_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RouteInputError(
                origin, f"lacks column(s) {', '.join(missing)}; needs {', '.join(STOCK_COLUMNS)}"
            )
        items = [_item(row, f"{origin} line {n}") for n, row in enumerate(reader, start=2)]
        return cls(items, origin)


def _item(row: dict[str, str], where: str) -> StockItem:
    smiles = canonical(row["smiles"] or "", where)
    try:
        price = float(row["price"] or 0.0)
    except ValueError:
        raise RouteInputError(where, f"price {row['price']!r} is not a number") from None
    if price < 0:
        raise RouteInputError(where, f"price {price:g} must be >= 0")
    return StockItem(
        smiles, (row["name"] or smiles).strip(), price, (row["location"] or "").strip()
    )
