"""Look-ups by id, for callers outside ``datastore/`` that must not touch the ORM.

:func:`~datastore.repository.get_campaign` finds a campaign by name and
:func:`~datastore.repository.get_experiment` an experiment by id (raising
when absent); these are the optional and by-id counterparts the review, the
attention desk and the outage watch need.
"""

from __future__ import annotations

from sqlmodel import Session

from datastore.errors import NotFoundError
from datastore.models import Campaign, Experiment


def find_experiment(session: Session, experiment_id: int) -> Experiment | None:
    """Return the experiment with id ``experiment_id``, or ``None``."""
    return session.get(Experiment, experiment_id)


def campaign_by_id(session: Session, campaign_id: int) -> Campaign | None:
    """Return the campaign with id ``campaign_id``, or ``None``."""
    return session.get(Campaign, campaign_id)


def campaign_of(session: Session, experiment: Experiment) -> Campaign:
    """Return the campaign ``experiment`` belongs to.

    Raises:
        NotFoundError: The campaign row is missing (a damaged database).
    """
    campaign = campaign_by_id(session, experiment.campaign_id)
    if campaign is None:
        raise NotFoundError(
            f"experiment {experiment.id} names campaign id {experiment.campaign_id}, "
            "which is not in this database (run `dbtl db check`)"
        )
    return campaign
