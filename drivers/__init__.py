"""Device drivers: one frontend per device kind over swappable backends.

A driver knows its wire and nothing else: no campaigns, no planners.
"""

from drivers.errors import DeviceError, DeviceLimitError, DeviceTimeoutError

__all__ = ["DeviceError", "DeviceLimitError", "DeviceTimeoutError"]
