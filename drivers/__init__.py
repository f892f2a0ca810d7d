"""Device drivers: one frontend per device kind over swappable backends.

A driver knows its wire and nothing else: no campaigns, no planners.
"""

from drivers.errors import (
    DeviceAlarmError,
    DeviceCommandError,
    DeviceConnectionError,
    DeviceError,
    DeviceLimitError,
    DeviceNoReplyError,
    DeviceOutOfRangeError,
    DeviceProtocolError,
    DeviceTimeoutError,
    DeviceUnreachableError,
)

__all__ = [
    "DeviceAlarmError",
    "DeviceCommandError",
    "DeviceConnectionError",
    "DeviceError",
    "DeviceLimitError",
    "DeviceNoReplyError",
    "DeviceOutOfRangeError",
    "DeviceProtocolError",
    "DeviceTimeoutError",
    "DeviceUnreachableError",
]
