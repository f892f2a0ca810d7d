"""Hyperparameters kept from one fit to start the next (a strategy object that persists).

Refitting a GP after a batch of five new observations lands near the
previous fit's hyperparameters; starting L-BFGS there instead of at the
priors' modes takes fewer iterations. A :class:`WarmStart` belongs to one
strategy object: it remembers, per modelled outcome and feature layout, the
raw hyperparameters of the last fit. A fresh object (what ``dbtl`` builds
each cycle, since the planner keeps no state between cycles) starts cold, so
its proposals depend on its inputs alone.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported only by the fits themselves
    from torch import Tensor


@dataclass
class WarmStart:
    """Raw hyperparameters of the last fit, per (outcome, feature layout)."""

    states: dict[Hashable, dict[str, Tensor]] = field(default_factory=dict)

    def load(self, key: Hashable, model: Any) -> bool:
        """Set ``model``'s hyperparameters to those stored under ``key``; whether any were.

        Only parameters of the same name and shape are copied, so a layout
        change (a new task, another encoding) falls back to a cold start.
        """
        stored = self.states.get(key)
        if not stored:
            return False
        loaded = False
        for name, parameter in model.named_parameters():
            value = stored.get(name)
            if value is not None and value.shape == parameter.shape:
                parameter.data.copy_(value)
                loaded = True
        return loaded

    def save(self, key: Hashable, model: Any) -> None:
        """Remember ``model``'s fitted hyperparameters under ``key``."""
        self.states[key] = {n: p.detach().clone() for n, p in model.named_parameters()}
