"""The campaign's model on its results: predictions for every unmeasured candidate."""

from __future__ import annotations

from datastore import Datastore
from lab.review.model_report import CandidateReport, candidate_report

__all__ = ["CandidateReport", "candidate_predictions"]


def candidate_predictions(store: Datastore, name: str, threshold: float) -> CandidateReport:
    """Fit campaign ``name``'s model on its results and predict every unmeasured candidate.

    On a campaign that replays a table, the predictions are scored against the
    table (``threshold``: the objective value from which a design is reactive).

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        return candidate_report(session, name, threshold)
