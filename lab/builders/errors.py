"""The error every builder raises when a campaign's protocol section does not fit its lab."""

from __future__ import annotations


class BuildConfigError(Exception):
    """The campaign's protocol section does not fit its lab.

    Attributes:
        where: YAML path in the campaign file (e.g. ``protocol.heater``), or "".
    """

    def __init__(self, where: str, message: str) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)
