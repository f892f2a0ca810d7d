"""Built-in strategies; importing this package registers them."""

from planner.strategies import ax_bo, model_free

__all__ = ["ax_bo", "model_free"]
