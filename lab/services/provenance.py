"""Where one experiment's result came from and where it went: its whole stored chain."""

from __future__ import annotations

from typing import Any

from datastore import Datastore
from datastore.provenance_read import experiment_provenance

__all__ = ["chain"]


def chain(store: Datastore, experiment_id: int) -> dict[str, Any]:
    """Every stored link of one experiment, as JSON-ready values.

    The model that proposed it (strategy, options, seed, software, training
    set), the proposal and its prediction, every decision, each run's protocol,
    device commands and instrument records, the outcomes, and the later cycles
    that trained on it (keys: :func:`datastore.provenance_read.experiment_provenance`).

    Raises:
        NotFoundError: No experiment has that id.
    """
    with store.session() as session:
        return experiment_provenance(session, experiment_id)
