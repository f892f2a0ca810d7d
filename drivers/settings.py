"""What a driver needs from a lab file, declared by the driver as a pydantic settings model.

A device entry of a lab file names its kind and driver and the limits every
driver of that kind shares; the remaining keys are the driver's settings,
validated by the model the driver declares next to its code (a subclass of
:class:`DriverSettings`). The model says what each key means (units in the
names and descriptions), checks ranges and combinations, and reports what the
driver itself knows about the device (:meth:`DriverSettings.limits`, where it
is reached, the files it reads, other devices it drives).

Validators may read the device's name from the validation context
(``context={"device": name}``) to name it in their messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

PORT_SCHEMES = ("socket", "rfc2217", "loop", "spy", "hwgrep", "alt")
"""URL schemes pyserial's ``serial_for_url`` understands."""


def check_port(port: str) -> str:
    """Return ``port`` if pyserial can open something like it.

    Raises:
        ValueError: An unknown URL scheme, a network URL without host:port, or blanks.
    """
    if not port.strip() or port != port.strip():
        raise ValueError(f"port {port!r} is blank or has surrounding spaces")
    if "://" not in port:
        return port  # a device path: /dev/ttyUSB0, COM3
    scheme, rest = port.split("://", 1)
    if scheme not in PORT_SCHEMES:
        raise ValueError(
            f"port {port!r} has unknown scheme {scheme!r}; use a device path "
            "(/dev/ttyUSB0, COM3) or socket://host:port, rfc2217://host:port, loop://"
        )
    if scheme in ("socket", "rfc2217"):
        host, _, number = rest.split("?")[0].rpartition(":")
        if not host or not number.isdigit() or not 1 <= int(number) <= 65535:
            raise ValueError(f"port {port!r}: expected {scheme}://host:port, port 1-65535")
    return port


@dataclass(frozen=True)
class DriverLimits:
    """What the instrument itself allows, whatever the lab file says.

    Attributes:
        max_flow_rate_ml_min: The fastest flow the device can deliver, if the
            driver can tell (a syringe pump from its syringe); the lab file's
            ``max_flow_rate_ml_min`` takes precedence.
    """

    max_flow_rate_ml_min: float | None = None


@dataclass(frozen=True)
class LinkedDevice:
    """Another device of the lab that this device drives itself (an HPLC's injection valve).

    Attributes:
        key: Where the lab file names it, e.g. ``injector.valve``.
        device: Its name.
        kind: The kind it must be.
        highest_position: For a valve: the highest position this device switches it to.
    """

    key: str
    device: str
    kind: str
    highest_position: int | None = None


class DriverSettings(BaseModel):
    """The settings of a driver that takes none; drivers that take some subclass it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def limits(self) -> DriverLimits:
        """What the instrument allows, as far as the driver knows from its settings."""
        return DriverLimits()

    def where(self) -> str | None:
        """How the device is reached (a port, a URL, a folder), for people; ``None`` if nowhere."""
        return None

    def resolved(self, base_dir: Path) -> Self:
        """These settings with relative paths resolved against the lab file's folder."""
        return self

    def paths(self) -> dict[str, Path]:
        """Folders the driver writes into, by the key that names them (kept in the campaign's)."""
        return {}

    def linked_devices(self) -> tuple[LinkedDevice, ...]:
        """Other devices of the lab this device drives itself."""
        return ()


class NoSettings(DriverSettings):
    """A driver that takes no settings (simulated devices and replayed worlds)."""


class SerialSettings(DriverSettings):
    """A device on a serial line: a port pyserial opens, and how patiently to talk to it."""

    port: str = Field(
        description="its serial port: /dev/ttyUSB0, COM3, socket://host:port or rfc2217://host:port"
    )
    baudrate: int | None = Field(
        default=None, gt=0, description="line speed, bit/s (the driver's default if absent)"
    )
    timeout_s: float = Field(default=2.0, gt=0, description="deadline for each reply, s")
    retries: int = Field(default=2, ge=0, le=10, description="extra attempts for queries")

    @field_validator("port")
    @classmethod
    def _port(cls, port: str, info: ValidationInfo) -> str:
        try:
            return check_port(port)
        except ValueError as exc:
            device = (info.context or {}).get("device")
            raise ValueError(f"device {device!r}: {exc}" if device else str(exc)) from None

    def where(self) -> str | None:
        """The serial port."""
        return self.port


def address_problem(address: int | None, low: int, high: int) -> str | None:
    """Why ``address`` is outside ``low``-``high``, or ``None``."""
    if address is None or low <= address <= high:
        return None
    return f"address {address} is outside {low}-{high}"
