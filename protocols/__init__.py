"""Protocols: immutable typed steps, builders from designs, static validation.

A protocol is data: it can be printed, hashed, diffed and checked before it
runs. Nothing here performs anything or imports a driver.
"""

from protocols.errors import ProtocolError, ProtocolValidationError
from protocols.protocol import Protocol

__all__ = ["Protocol", "ProtocolError", "ProtocolValidationError"]
