"""Device errors: every failure names the device it came from."""


class DeviceError(Exception):
    """A device refused a command, did not answer, or answered nonsense.

    Attributes:
        device: Name of the device as declared in the lab file.
    """

    def __init__(self, device: str, message: str) -> None:
        self.device = device
        super().__init__(f"{device}: {message}")


class DeviceTimeoutError(DeviceError):
    """A device did not answer (or did not reach a state) in time."""


class DeviceLimitError(DeviceError):
    """A command would take a device outside its safe limits; it was not sent."""
