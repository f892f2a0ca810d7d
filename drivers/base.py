"""Frontend/backend split shared by every device kind.

A frontend (``Pump``, ``Heater``...) validates commands against the device's
limits and tracks state; its backend only translates commands to a wire (or
to a simulation). Every command carries an idempotency key so that a backend
able to remember keys never executes the same command twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeviceIdentity:
    """What a device says it is."""

    model: str
    firmware: str = ""
    serial_number: str = ""
    details: dict[str, str] = field(default_factory=dict)


class Backend(ABC):
    """The wire (or simulation) side of one device."""

    def connect(self) -> None:  # noqa: B027 - optional hook
        """Open the connection; the default has nothing to open."""

    def disconnect(self) -> None:  # noqa: B027 - optional hook
        """Close the connection; the default has nothing to close."""

    @abstractmethod
    def identify(self) -> DeviceIdentity:
        """Ask the device what it is."""


class Device(ABC):
    """The frontend of one device: a name, a backend, limits and tracked state."""

    kind: str = "device"

    def __init__(self, name: str, backend: Backend) -> None:
        self.name = name
        self.backend = backend

    def connect(self) -> None:
        """Connect the backend."""
        self.backend.connect()

    def disconnect(self) -> None:
        """Disconnect the backend."""
        self.backend.disconnect()

    def identify(self) -> DeviceIdentity:
        """Return the device's identity."""
        return self.backend.identify()

    @abstractmethod
    def safe_state(self) -> None:
        """Bring the device to a state safe to leave unattended (stop, idle)."""
