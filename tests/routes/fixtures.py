from pathlib import Path

from routes.model import Route
from routes.registry import ProposalRequest, propose
from routes.stock import Stock

ROOT = Path(__file__).resolve().parents[2]
TARGET = "CC(=O)Nc1ccc(-c2ccccc2)cc1"


def example_stock() -> Stock:
    return Stock.read(ROOT / "examples" / "stock.csv")


def example_routes(max_steps: int = 2) -> list[Route]:
    return propose("templates", ProposalRequest(TARGET, example_stock(), max_steps, 4))


def suzuki_then_acylation() -> Route:
    return next(
        r
        for r in example_routes()
        if [s.template_id for s in r.steps] == ["suzuki_bromide", "amide_from_acyl_chloride"]
    )
