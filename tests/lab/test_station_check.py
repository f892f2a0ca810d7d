"""A protocol section naming a station the lab lacks is refused with the lab's stations."""

from __future__ import annotations

import pytest

from lab.builders.errors import BuildConfigError, check_station
from lab.devices.labfile import load_lab
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("name", ["no_such_station", "ot2", None])
def test_a_missing_station_is_refused_naming_the_stations(name: str | None) -> None:
    lab = load_lab(EXAMPLES / "labs" / "route_bench.yaml")
    with pytest.raises(BuildConfigError) as info:
        check_station(lab, name)  # ot2 is a liquid handler, not a station
    assert info.value.where == "protocol.station"
    assert info.value.message == (
        f"lab 'route-bench' has no station {name!r}; its stations: route_world"
    )


def test_a_station_of_the_lab_passes() -> None:
    check_station(load_lab(EXAMPLES / "labs" / "route_bench.yaml"), "route_world")
