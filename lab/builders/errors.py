"""The error every builder raises when a campaign's protocol section does not fit its lab."""

from __future__ import annotations

from lab.devices.lab_spec import LabSpec


class BuildConfigError(Exception):
    """The campaign's protocol section does not fit its lab.

    Attributes:
        where: YAML path in the campaign file (e.g. ``protocol.heater``), or "".
    """

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


def check_station(lab: LabSpec, station: str | None) -> None:
    """The campaign's ``protocol.station`` must be a station of ``lab``.

    Raises:
        BuildConfigError: Naming the lab's stations.
    """
    stations = [d.name for d in lab.devices if d.kind == "station"]
    if station not in stations:
        raise BuildConfigError(
            "protocol.station",
            f"lab {lab.name!r} has no station {station!r}; its stations: "
            f"{', '.join(stations) or 'none'}",
        )
