"""Read-only overviews shared by the web pages and the REST API: campaigns, devices, molecules.

Everything is computed in the database (counts, best values) or from the
campaign and lab files stored with each campaign, so the pages and the API
show the same figures as ``dbtl show`` and ``dbtl lab status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datastore import Datastore, Session, pages
from datastore import leases as lease_repo
from datastore import repository as repo
from datastore.models import Campaign
from datastore.summaries import best_values, status_counts
from lab.devices.lab_spec import LabSpec
from lab.running.leasing import device_resource, lab_resource
from lab.running.stored_specs import stored_lab, stored_spec
from lab.specs.campaign import CampaignSpec
from planner.parameters import MoleculeParameter


@dataclass(frozen=True)
class CampaignSummary:
    """One line of the campaigns list: where a campaign stands."""

    campaign: Campaign
    spec: CampaignSpec | None
    counts: dict[str, int]
    best: dict[str, float]

    @property
    def completed(self) -> int:
        """Experiments completed."""
        return self.counts.get("completed", 0)

    @property
    def progress(self) -> float:
        """Share of the budget that has finished (completed, failed, rejected, abandoned)."""
        done = sum(self.counts.get(s, 0) for s in ("completed", "failed", "rejected", "abandoned"))
        return min(1.0, done / self.campaign.budget) if self.campaign.budget else 0.0

    @property
    def awaiting(self) -> int:
        """Proposals awaiting approval."""
        return self.counts.get("awaiting_approval", 0)


def spec_or_none(campaign: Campaign) -> CampaignSpec | None:
    """The stored spec, or ``None`` when it was written by another version and does not load."""
    try:
        return stored_spec(campaign)
    except Exception:
        return None


def summarize(session: Session, campaign: Campaign) -> CampaignSummary:
    """The summary of one campaign."""
    spec = spec_or_none(campaign)
    signs = {o.name: o.sign for o in spec.objectives} if spec else {}
    cid = campaign.id or 0
    return CampaignSummary(
        campaign, spec, status_counts(session, cid), best_values(session, cid, signs)
    )


def campaign_summaries(store: Datastore) -> list[CampaignSummary]:
    """Every campaign, oldest first."""
    with store.session() as session:
        return [summarize(session, c) for c in repo.list_campaigns(session)]


def campaign_summary(store: Datastore, name: str) -> CampaignSummary:
    """One campaign's summary.

    Raises:
        NotFoundError: No such campaign.
    """
    with store.session() as session:
        return summarize(session, repo.get_campaign(session, name))


@dataclass(frozen=True)
class DeviceRow:
    """One device of a lab that campaigns run on: service state and lease."""

    lab: str
    device: str
    kind: str
    driver: str
    in_service: bool
    note: str | None
    consecutive_failures: int
    leased_by: str | None
    lease_expires_at: datetime | None
    lab_served_by: str | None


def device_rows(store: Datastore) -> list[DeviceRow]:
    """Every device of every lab stored with a campaign: labs by name, devices in file order."""
    with store.session() as session:
        labs: dict[str, LabSpec] = {}
        for campaign in repo.list_campaigns(session):
            lab = _lab_or_none(campaign)
            if lab is not None:
                labs.setdefault(lab.name, lab)
        rows = []
        for name in sorted(labs):
            lab = labs[name]
            served = lease_repo.current(session, lab_resource(name))
            states = pages.device_states(session, name)
            for d in lab.devices:
                state = states.get(d.name)
                lease = lease_repo.current(session, device_resource(name, d.name))
                rows.append(
                    DeviceRow(
                        name,
                        d.name,
                        str(d.kind),
                        d.driver,
                        state.in_service if state else True,
                        state.note if state else None,
                        state.consecutive_failures if state else 0,
                        lease.holder if lease else None,
                        lease.expires_at if lease else None,
                        served.holder if served else None,
                    )
                )
        return rows


def find_device(store: Datastore, lab: str, device: str) -> DeviceRow | None:
    """The device ``device`` of lab ``lab``, or ``None`` if no stored lab has it."""
    return next((r for r in device_rows(store) if r.lab == lab and r.device == device), None)


def _lab_or_none(campaign: Campaign) -> LabSpec | None:
    try:
        return stored_lab(campaign)
    except Exception:
        return None


def molecules(spec: CampaignSpec | None, design: Mapping[str, Any]) -> dict[str, str]:
    """The SMILES of every molecule in a design, by parameter name (none without a spec)."""
    if spec is None:
        return {}
    out = {}
    for p in spec.parameters:
        if isinstance(p, MoleculeParameter) and design.get(p.name) in p.choices:
            smiles = p.choices[str(design[p.name])]
            if smiles:
                out[p.name] = smiles
    return out
