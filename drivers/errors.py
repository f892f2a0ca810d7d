"""Device errors: every failure names the device it came from.

The hierarchy lets callers react to the kind of failure without parsing
messages: a timeout or a garbled reply may be worth retrying (for a query), a
refused command or an alarm never is.
"""


class DeviceError(Exception):
    """A device refused a command, did not answer, or answered nonsense.

    Attributes:
        device: Name of the device as declared in the lab file.
        message: What went wrong, without the device name.
    """

    def __init__(self, device: str, message: str) -> None:
        self.device = device
        self.message = message
        super().__init__(f"{device}: {message}")


class DeviceTimeoutError(DeviceError):
    """A device did not answer (or did not reach a state) in time."""


class DeviceNoReplyError(DeviceTimeoutError):
    """No (complete) reply arrived on the wire in time: the line, not the device's state."""


class DeviceLimitError(DeviceError):
    """A command would take a device outside its safe limits; it was not sent."""


class DeviceConnectionError(DeviceError):
    """The port could not be opened, or the connection dropped (the device vanished)."""


class DeviceUnreachableError(DeviceConnectionError):
    """The port (or folder) of the device could not be opened: nothing was sent to it."""


class DeviceProtocolError(DeviceError):
    """A reply was garbled, incomplete, or not the reply the command expects."""


class DeviceCommandError(DeviceError):
    """The device understood the frame but refused the command.

    Attributes:
        command: The command as sent, without framing (e.g. ``RAT 350.0 UM``).
        code: The device's error code (e.g. ``NA``, ``OOR``, Modbus exception ``3``).
    """

    def __init__(self, device: str, command: str, code: str, meaning: str) -> None:
        self.command = command
        self.code = code
        super().__init__(device, f"refused {command!r}: {meaning} ({code})")


class DeviceOutOfRangeError(DeviceCommandError):
    """The device refused a command because its value is out of the device's range."""


class DeviceAlarmError(DeviceError):
    """The device reports an alarm (motor stalled, power was interrupted...).

    Attributes:
        alarm: The device's alarm code.
    """

    def __init__(self, device: str, alarm: str, meaning: str) -> None:
        self.alarm = alarm
        super().__init__(device, f"alarm {alarm}: {meaning}")
