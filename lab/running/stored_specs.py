"""The campaign and lab files a campaign was started with, read back from the datastore."""

from __future__ import annotations

from functools import lru_cache

import yaml

from datastore.models import Campaign
from lab.devices.lab_spec import LabSpec
from lab.specs.campaign import CampaignSpec

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~10x faster


@lru_cache(maxsize=64)
def _spec_from(text: str) -> CampaignSpec:
    return CampaignSpec.model_validate(yaml.load(text, Loader=_LOADER))


@lru_cache(maxsize=64)
def _lab_from(text: str) -> LabSpec:
    return LabSpec.model_validate(yaml.load(text, Loader=_LOADER))


def stored_spec(campaign: Campaign) -> CampaignSpec:
    """The spec a campaign was started with (parsed once per text: specs are frozen)."""
    return _spec_from(campaign.spec_yaml)


def stored_lab(campaign: Campaign) -> LabSpec | None:
    """The lab a campaign was started on, as stored with it (parsed once per text)."""
    return _lab_from(campaign.lab_yaml) if campaign.lab_yaml else None
