"""Campaign files carry the planner's exclusions, fixed-per-batch parameters and options."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from lab.running.campaigns import load_campaign
from lab.specs.campaign import CampaignSpec, StrategySpec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def spec_dict() -> dict:
    return load_campaign(EXAMPLES / "snar_flow.yaml").spec.model_dump()


def test_exclusions_and_fixed_per_batch_reach_the_problem() -> None:
    data = spec_dict()
    solvent = {"name": "solvent", "type": "categorical", "choices": ["EtOH", "THF"]}
    data["parameters"] = [*data["parameters"], solvent]
    data["exclusions"] = ["solvent = THF"]
    data["fixed_per_batch"] = ["temperature_c"]
    space = CampaignSpec.model_validate(data).problem().space
    assert space.fixed_per_batch == ("temperature_c",)
    assert str(space.exclusions[0]) == "solvent = THF"


def test_bad_exclusion_and_unknown_option_are_refused() -> None:
    data = spec_dict()
    data["exclusions"] = ["catalyst = Pd"]
    with pytest.raises(ValidationError, match="unknown parameter 'catalyst'"):
        CampaignSpec.model_validate(data)
    with pytest.raises(ValidationError, match=r"has no option.*tempo"):
        StrategySpec(name="bo", options={"tempo": 3})
    assert StrategySpec(name="bo-candidates", options={"failures": "avoid"}).options
