"""Built-in strategies; importing this package registers them."""

from planner.strategies import (
    ax_bo,
    baybe_peer,
    candidate_bo,
    ensemble,
    explore,
    factorial,
    model_free,
)

__all__ = [
    "ax_bo",
    "baybe_peer",
    "candidate_bo",
    "ensemble",
    "explore",
    "factorial",
    "model_free",
]
