"""Protocol-buffer wire format for the per-record fields of ORD reactions.

A message serialized with ``SerializeToString(deterministic=True)`` is its set
fields in field-number order, each a tag (number and wire type) followed by
its value; a submessage or text is length-delimited. So a record whose shared
parts were serialized once can be written as those bytes with its own few
fields spliced in at their place, without building a message per record.
These helpers write exactly the bytes the protobuf runtime writes for the
field types they handle (tested against it, edge values included); the
callers fall back to the runtime for anything else (a float outside the
32-bit range, NaN).
"""

from __future__ import annotations

import struct
from typing import Any

_FLOAT32_MAX = 3.4028234663852886e38
_PACK_FLOAT = struct.Struct("<f").pack
WIRE_VARINT, WIRE_FIXED32, WIRE_LEN = 0, 5, 2


_ONE_BYTE = tuple(bytes((i,)) for i in range(0x80))


def varint(value: int) -> bytes:
    """A non-negative integer as a base-128 varint."""
    if value < 0x80:
        return _ONE_BYTE[value]
    if value < 0x4000:
        return bytes(((value & 0x7F) | 0x80, value >> 7))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    """The key of field ``number`` with ``wire_type``."""
    return varint((number << 3) | wire_type)


_LEN_TAGS = tuple(tag(number, WIRE_LEN) for number in range(16))
"""Keys of the length-delimited fields numbered below 16 (one byte each), by number."""


def length_delimited(number: int, payload: bytes) -> bytes:
    """Field ``number`` holding ``payload`` (a serialized submessage, or UTF-8 text)."""
    key = _LEN_TAGS[number] if number < 16 else tag(number, WIRE_LEN)
    size = len(payload)
    return key + (_ONE_BYTE[size] if size < 0x80 else varint(size)) + payload


def text(number: int, value: str) -> bytes:
    """A ``string`` field without presence: nothing when empty, as the runtime writes it."""
    return length_delimited(number, value.encode()) if value else b""


def float32(number: int, value: float) -> bytes | None:
    """A ``float`` field with presence, or ``None`` where the runtime's rounding must decide.

    Finite values within the 32-bit range round to nearest as the runtime's
    C conversion does; NaN, infinities and values beyond the range are left
    to the runtime (``None``).
    """
    if not -_FLOAT32_MAX <= value <= _FLOAT32_MAX:  # also False for NaN
        return None
    return tag(number, WIRE_FIXED32) + _PACK_FLOAT(value)


def split_serialized(message: Any, number: int) -> tuple[bytes, bytes]:
    """The deterministic bytes of ``message``'s fields numbered below ``number``, and above.

    Field ``number`` itself is left out of both: a caller writes it between them.
    """
    below, above = type(message)(), type(message)()
    below.CopyFrom(message)
    above.CopyFrom(message)
    for descriptor, _ in message.ListFields():
        if descriptor.number >= number:
            below.ClearField(descriptor.name)
        if descriptor.number <= number:
            above.ClearField(descriptor.name)
    return below.SerializeToString(deterministic=True), above.SerializeToString(deterministic=True)
