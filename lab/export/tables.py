"""Exports of a campaign's experiments, shared by ``dbtl export`` and the REST API.

Tables are streamed page by page (``datastore/stream.py``), so a campaign of
any size exports in bounded memory. Column meanings: ``docs/exports.md``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import yaml

from datastore import Datastore
from datastore import repository as repo
from datastore.exports import write_experiments
from lab.specs.campaign import CampaignSpec

TableFormat = Literal["csv", "parquet"]


def outcome_names(spec_yaml: str) -> list[str] | None:
    """The campaign's objective and constraint names, or ``None`` if its spec is unreadable."""
    names = _outcome_names(spec_yaml)
    return None if names is None else list(names)


@functools.lru_cache(maxsize=64)
def _outcome_names(spec_yaml: str) -> tuple[str, ...] | None:
    """:func:`outcome_names`, parsed once per stored spec text (every download asks again)."""
    try:
        names = CampaignSpec.model_validate(yaml.safe_load(spec_yaml)).problem().outcome_names
    except Exception:  # a spec stored by another version: export every measurement
        return None
    return tuple(names)


def export_experiments(store: Datastore, name: str, fmt: TableFormat, output: Path) -> int:
    """Stream one row per experiment of ``name`` to ``output``; return the row count.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        campaign = repo.get_campaign(session, name)
        names = outcome_names(campaign.spec_yaml)
        return write_experiments(session, campaign, names, fmt, output)
