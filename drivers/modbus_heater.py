"""Temperature controllers speaking Modbus RTU or Modbus TCP (PID controllers).

Most process controllers expose the same small model: the process value
(measured temperature) and the setpoint, each in a 16-bit register holding
the temperature times a scale (10 for one decimal). Where they sit differs per
make, so the register map is configuration; the defaults follow the
Eurotherm 2000/3000-series map (process value in holding register 1, target
setpoint in holding register 2, one decimal).

pymodbus builds and decodes the Modbus PDUs and frames (RTU with CRC, or the
TCP MBAP header); the bytes go through the same :class:`~drivers.transport.SerialLink`
as every serial driver, so RTU works on a serial port, RTU-over-TCP on a
serial device server and Modbus TCP on ``socket://host:502`` alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pymodbus.framer import FramerBase, FramerRTU, FramerSocket
from pymodbus.pdu import DecodePDU, ExceptionResponse, ModbusPDU
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersRequest,
    ReadInputRegistersRequest,
    WriteSingleRegisterRequest,
)

from drivers.base import DeviceIdentity
from drivers.errors import (
    DeviceCommandError,
    DeviceLimitError,
    DeviceOutOfRangeError,
    DeviceProtocolError,
)
from drivers.heater import HeaterBackend
from drivers.settings import SerialSettings, address_problem
from drivers.transport import SerialLink

BAUDRATE = 9600
EXCEPTIONS = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge (busy with a long command)",
    6: "server device busy",
}


class Framing(StrEnum):
    """How Modbus PDUs are framed on the wire."""

    RTU = "rtu"
    """Unit id + PDU + CRC-16: serial lines and serial device servers."""
    TCP = "tcp"
    """MBAP header (transaction id, length, unit id) + PDU: Modbus TCP."""


class Table(StrEnum):
    """Modbus register tables (function 3 reads holding, function 4 reads input)."""

    HOLDING = "holding"
    INPUT = "input"


@dataclass(frozen=True)
class Register:
    """One 16-bit register: its table and 0-based protocol address."""

    table: Table
    address: int


@dataclass(frozen=True)
class RegisterMap:
    """Where a controller keeps its temperatures, and how they are scaled.

    Attributes:
        process_value: The measured temperature (read only).
        setpoint: The setpoint (written with function 6, so a holding register).
        scale: Register value per °C (10 means tenths of a degree).
        signed: Whether registers are two's-complement (temperatures below 0).
    """

    process_value: Register = Register(Table.HOLDING, 1)
    setpoint: Register = Register(Table.HOLDING, 2)
    scale: float = 10.0
    signed: bool = True

    def __post_init__(self) -> None:
        if self.setpoint.table is not Table.HOLDING:
            raise ValueError("the setpoint must be a holding register (it is written)")
        if self.scale <= 0:
            raise ValueError(f"scale must be > 0, got {self.scale:g}")


# ---------------------------------------------------------------- pure functions
def to_register(value: float, scale: float, signed: bool) -> int:
    """Encode a temperature as a 16-bit register value.

    Raises:
        ValueError: Out of the register's range.
    """
    raw = round(value * scale)
    low, high = (-0x8000, 0x7FFF) if signed else (0, 0xFFFF)
    if not low <= raw <= high:
        raise ValueError(f"{value:g} × {scale:g} does not fit a 16-bit register")
    return raw & 0xFFFF


def from_register(raw: int, scale: float, signed: bool) -> float:
    """Decode a 16-bit register value to a temperature."""
    if signed and raw & 0x8000:
        raw -= 0x10000
    return raw / scale


def _framer(framing: Framing) -> FramerBase:
    return (FramerSocket if framing is Framing.TCP else FramerRTU)(DecodePDU(False))


def _frame(framing: Framing, pdu: ModbusPDU, transaction_id: int) -> bytes:
    pdu.transaction_id = transaction_id if framing is Framing.TCP else 0
    return _framer(framing).buildFrame(pdu)


def build_read(framing: Framing, unit: int, register: Register, transaction_id: int = 0) -> bytes:
    """Frame a request reading one register (function 3 or 4)."""
    holding = register.table is Table.HOLDING
    request = ReadHoldingRegistersRequest if holding else ReadInputRegistersRequest
    return _frame(framing, request(address=register.address, count=1, dev_id=unit), transaction_id)


def build_write(
    framing: Framing, unit: int, address: int, raw: int, transaction_id: int = 0
) -> bytes:
    """Frame a request writing one holding register (function 6)."""
    pdu = WriteSingleRegisterRequest(address=address, registers=[raw], dev_id=unit)
    return _frame(framing, pdu, transaction_id)


def decode_response(
    framing: Framing, buffer: bytes, unit: int, transaction_id: int = 0
) -> tuple[int, ModbusPDU | None]:
    """Look for the response to a request in ``buffer``.

    Returns:
        (bytes used, response): (0, None) means read more.

    Raises:
        ValueError: The bytes are not a response from ``unit`` to this request
            (bad CRC, another unit or transaction, an unknown function).
    """
    expected_tid = transaction_id if framing is Framing.TCP else 0
    try:
        used, pdu = _framer(framing).handleFrame(buffer, unit, expected_tid)
    except Exception as exc:  # pymodbus raises its own exception types on nonsense
        raise ValueError(str(exc)) from exc
    if used and pdu is None:
        raise ValueError("not a response to this request (CRC, unit or transaction mismatch)")
    return used, pdu


# ---------------------------------------------------------------------- backend
class ModbusHeaterBackend(HeaterBackend):
    """A PID temperature controller on Modbus RTU or TCP."""

    def __init__(
        self,
        name: str,
        link: SerialLink,
        unit: int,
        framing: Framing = Framing.RTU,
        registers: RegisterMap | None = None,
    ) -> None:
        """Bind a controller.

        Args:
            name: Device name, for errors.
            link: The controller's (unopened) link.
            unit: Modbus unit (slave) id, 1-247 (0 is broadcast and never answers).
            framing: RTU or TCP framing.
            registers: Register map; defaults to :class:`RegisterMap`.

        Raises:
            ValueError: A unit id outside 1-247.
        """
        if not 1 <= unit <= 247:
            raise ValueError(f"Modbus unit id must be 1-247, got {unit}")
        self.name = name
        self.link = link
        self.unit = unit
        self.framing = framing
        self.registers = registers or RegisterMap()
        self._transaction_id = 0

    def connect(self) -> None:
        """Open the link and read the process value once."""
        self.link.open()
        self.temperature_c()

    def disconnect(self) -> None:
        """Close the link."""
        self.link.close()

    def identify(self) -> DeviceIdentity:
        """Report the protocol, unit, temperature and setpoint (these controllers have no ID)."""
        return DeviceIdentity(
            model=f"Modbus {self.framing.value.upper()} temperature controller",
            details={
                "unit": str(self.unit),
                "temperature_c": f"{self.temperature_c():g}",
                "setpoint_c": f"{self.setpoint_c():g}",
            },
        )

    def set_temperature(self, temperature_c: float, key: str) -> None:
        """Write the setpoint (function 6; never retried) and check the echo.

        Raises:
            DeviceLimitError: The value does not fit the register; nothing is sent.
        """
        reg = self.registers
        try:
            raw = to_register(temperature_c, reg.scale, reg.signed)
        except ValueError as exc:
            raise DeviceLimitError(self.name, str(exc)) from exc
        tid = self._next_transaction()
        label = f"write setpoint register {reg.setpoint.address} = {raw}"
        request = build_write(self.framing, self.unit, reg.setpoint.address, raw, tid)
        echo = self._exchange(request, tid, label, key, idempotent=False)
        if (getattr(echo, "address", None), echo.registers[:1]) != (reg.setpoint.address, [raw]):
            raise DeviceProtocolError(self.name, f"{label}: the controller echoed {echo}")

    def temperature_c(self) -> float:
        """Read the process value."""
        return self._read(self.registers.process_value, "process value")

    def setpoint_c(self) -> float:
        """Read the setpoint."""
        return self._read(self.registers.setpoint, "setpoint")

    # ------------------------------------------------------------- internals
    def _next_transaction(self) -> int:
        self._transaction_id = self._transaction_id % 0xFFFF + 1
        return self._transaction_id

    def _read(self, register: Register, what: str) -> float:
        tid = self._next_transaction()
        label = f"read {what} ({register.table.value} register {register.address})"
        request = build_read(self.framing, self.unit, register, tid)
        response = self._exchange(request, tid, label, "", idempotent=True)
        if len(response.registers) != 1:
            raise DeviceProtocolError(self.name, f"{label}: got {response.registers}")
        return from_register(response.registers[0], self.registers.scale, self.registers.signed)

    def _exchange(
        self, request: bytes, tid: int, label: str, key: str, *, idempotent: bool
    ) -> ModbusPDU:
        return self.link.exchange(
            request,
            lambda buffer: decode_response(self.framing, buffer, self.unit, tid)[0],
            lambda frame: self._check(frame, tid, label),
            label=label,
            key=key,
            idempotent=idempotent,
        )

    def _check(self, frame: bytes, tid: int, label: str) -> ModbusPDU:
        _, pdu = decode_response(self.framing, frame, self.unit, tid)
        if pdu is None:  # pragma: no cover - the frame rule only completes on a PDU
            raise DeviceProtocolError(self.name, f"no response to {label} in {frame!r}")
        if isinstance(pdu, ExceptionResponse):
            code = pdu.exception_code
            error = DeviceOutOfRangeError if code == 3 else DeviceCommandError
            raise error(self.name, label, f"exception {code}", EXCEPTIONS.get(code, "unknown"))
        return pdu


# ------------------------------------------------------------- lab-file settings
class RegisterSettings(BaseModel):
    """One Modbus register in a lab file: its table and 0-based protocol address."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: Literal["holding", "input"] = "holding"
    address: int = Field(ge=0, le=65535, description="0-based protocol address")

    def register(self) -> Register:
        """The driver's register."""
        return Register(Table(self.table), self.address)


class RegisterMapSettings(BaseModel):
    """How a Modbus temperature controller keeps its temperatures (the ``modbus`` section).

    The defaults follow the Eurotherm 2000/3000-series map: process value in
    holding register 1, target setpoint in holding register 2, tenths of a °C.
    ``framing`` defaults to ``tcp`` on ``socket://`` ports and ``rtu`` otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    framing: Literal["rtu", "tcp"] | None = None
    process_value: RegisterSettings = RegisterSettings(address=1)
    setpoint: RegisterSettings = RegisterSettings(address=2)
    scale: float = Field(default=10.0, gt=0, description="register value per °C")
    signed: bool = True

    @model_validator(mode="after")
    def _check(self) -> RegisterMapSettings:
        if self.setpoint.table != "holding":
            raise ValueError("setpoint must be a holding register (it is written)")
        return self

    def register_map(self) -> RegisterMap:
        """The driver's register map."""
        return RegisterMap(
            self.process_value.register(), self.setpoint.register(), self.scale, self.signed
        )


class ModbusHeaterSettings(SerialSettings):
    """A Modbus temperature controller's entry in a lab file: line, unit id, register map."""

    address: int = Field(description="its unit id, 1-247")
    modbus: RegisterMapSettings | None = Field(
        default=None, description="framing and register map (Eurotherm 2000/3000 by default)"
    )

    @field_validator("address")
    @classmethod
    def _address(cls, address: int) -> int:
        problem = address_problem(address, 1, 247)
        if problem:
            raise ValueError(problem)
        return address

    def framing(self) -> Framing:
        """As configured, else ``tcp`` on ``socket://`` ports, else ``rtu``."""
        if self.modbus is not None and self.modbus.framing is not None:
            return Framing(self.modbus.framing)
        return Framing.TCP if self.port.startswith("socket://") else Framing.RTU

    def register_map(self) -> RegisterMap:
        """The register map of the ``modbus`` section (the defaults without one)."""
        return (self.modbus or RegisterMapSettings()).register_map()
