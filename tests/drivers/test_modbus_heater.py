"""Modbus temperature controller driver against a mocked port: RTU and TCP bytes."""

from __future__ import annotations

import pytest
from pymodbus.framer import FramerRTU, FramerSocket
from pymodbus.pdu import DecodePDU, ExceptionResponse
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersResponse,
    ReadInputRegistersResponse,
    WriteSingleRegisterResponse,
)

from drivers.errors import (
    DeviceCommandError,
    DeviceLimitError,
    DeviceOutOfRangeError,
    DeviceProtocolError,
)
from drivers.heater import Heater
from drivers.modbus_heater import (
    Framing,
    ModbusHeaterBackend,
    Register,
    RegisterMap,
    Table,
    build_read,
    build_write,
    from_register,
    to_register,
)
from simulators.clock import SimulatedClock
from tests.drivers.fakes import ScriptedPort, scripted_link


def server_frame(framing: Framing, pdu, tid: int = 0) -> bytes:
    """What a controller would send (built with pymodbus' server-side framer)."""
    pdu.transaction_id = tid
    framer = FramerSocket if framing is Framing.TCP else FramerRTU
    return framer(DecodePDU(True)).buildFrame(pdu)


def controller(
    framing: Framing = Framing.RTU, registers: RegisterMap | None = None
) -> tuple[ModbusHeaterBackend, ScriptedPort]:
    link, port, _ = scripted_link("reactor_heater")
    return ModbusHeaterBackend("reactor_heater", link, 1, framing, registers), port


@pytest.mark.parametrize(
    ("value", "scale", "signed", "raw"),
    [(85.5, 10, True, 855), (-12.3, 10, True, 0x10000 - 123), (250.0, 1, False, 250)],
)
def test_register_scaling(value, scale, signed, raw) -> None:
    assert to_register(value, scale, signed) == raw
    assert from_register(raw, scale, signed) == pytest.approx(value)


def test_register_range() -> None:
    with pytest.raises(ValueError, match="16-bit"):
        to_register(4000.0, 10, True)
    with pytest.raises(ValueError):
        to_register(-1.0, 10, False)
    with pytest.raises(ValueError, match="holding"):
        RegisterMap(setpoint=Register(Table.INPUT, 2))


def test_exact_rtu_and_tcp_frames() -> None:
    holding_1 = Register(Table.HOLDING, 1)
    assert build_read(Framing.RTU, 1, holding_1) == bytes.fromhex("010300010001d5ca")
    assert build_write(Framing.RTU, 1, 2, 855) == bytes.fromhex("0106000203576904")
    # MBAP: transaction 7, protocol 0, length 6, unit 1; then function 4, address 1, count 1
    assert build_read(Framing.TCP, 1, Register(Table.INPUT, 1), 7) == bytes.fromhex(
        "000700000006010400010001"
    )


def test_read_temperature_over_rtu() -> None:
    backend, port = controller()
    port.expect(
        bytes.fromhex("010300010001d5ca"),
        server_frame(Framing.RTU, ReadHoldingRegistersResponse(registers=[852], dev_id=1)),
    )
    assert backend.temperature_c() == pytest.approx(85.2)


def test_write_setpoint_over_tcp_checks_the_echo() -> None:
    backend, port = controller(Framing.TCP)
    request = build_write(Framing.TCP, 1, 2, 855, 1)
    assert request == bytes.fromhex("000100000006010600020357")
    echo = WriteSingleRegisterResponse(address=2, registers=[855], dev_id=1)
    port.expect(request, server_frame(Framing.TCP, echo, tid=1))
    backend.set_temperature(85.5, key="run/1")
    wrong = WriteSingleRegisterResponse(address=2, registers=[854], dev_id=1)
    port.expect(build_write(Framing.TCP, 1, 2, 855, 2), server_frame(Framing.TCP, wrong, tid=2))
    with pytest.raises(DeviceProtocolError, match="echoed"):
        backend.set_temperature(85.5, key="run/2")


def test_configurable_register_map() -> None:
    registers = RegisterMap(Register(Table.INPUT, 1000), Register(Table.HOLDING, 0), scale=1.0)
    backend, port = controller(registers=registers)
    response = ReadInputRegistersResponse(registers=[42], dev_id=1)
    port.expect(
        build_read(Framing.RTU, 1, Register(Table.INPUT, 1000)),
        server_frame(Framing.RTU, response),
    )
    assert backend.temperature_c() == 42.0


def test_illegal_value_is_out_of_range_and_other_exceptions_are_refusals() -> None:
    backend, port = controller()
    port.expect(
        build_write(Framing.RTU, 1, 2, 3000), server_frame(Framing.RTU, ExceptionResponse(6, 3, 1))
    )
    with pytest.raises(DeviceOutOfRangeError, match="illegal data value"):
        backend.set_temperature(300.0, key="k")
    port.expect(
        build_read(Framing.RTU, 1, Register(Table.HOLDING, 1)),
        server_frame(Framing.RTU, ExceptionResponse(3, 2, 1)),
    )
    with pytest.raises(DeviceCommandError, match="illegal data address") as e:
        backend.temperature_c()
    assert not isinstance(e.value, DeviceOutOfRangeError)


def test_bad_crc_is_garbled_and_retried_for_reads() -> None:
    backend, port = controller()
    good = server_frame(Framing.RTU, ReadHoldingRegistersResponse(registers=[250], dev_id=1))
    request = build_read(Framing.RTU, 1, Register(Table.HOLDING, 1))
    port.expect(request, good[:-1] + bytes([good[-1] ^ 0xFF]))
    port.expect(request, good)
    assert backend.temperature_c() == 25.0


def test_reply_from_another_unit_or_transaction_is_garbled() -> None:
    backend, port = controller(Framing.TCP)
    other_unit = server_frame(Framing.TCP, ReadHoldingRegistersResponse(registers=[1], dev_id=2), 1)
    stale = server_frame(Framing.TCP, ReadHoldingRegistersResponse(registers=[1], dev_id=1), 99)
    request = build_read(Framing.TCP, 1, Register(Table.HOLDING, 1), 1)
    for reply in (other_unit, stale, stale):  # a retry resends the same transaction
        port.expect(request, reply)
    with pytest.raises(DeviceProtocolError, match="gave up after 3 attempts"):
        backend.temperature_c()


def test_partial_frame_is_incomplete() -> None:
    backend, port = controller()
    good = server_frame(Framing.RTU, ReadHoldingRegistersResponse(registers=[250], dev_id=1))
    request = build_read(Framing.RTU, 1, Register(Table.HOLDING, 1))
    for _ in range(3):
        port.expect(request, good[:4])
    with pytest.raises(DeviceProtocolError, match="incomplete reply"):
        backend.temperature_c()


def test_setpoint_that_does_not_fit_is_a_limit_error_and_sends_nothing() -> None:
    backend, port = controller()
    with pytest.raises(DeviceLimitError, match="16-bit"):
        backend.set_temperature(5000.0, key="k")
    assert port.written == []


def test_unit_ids() -> None:
    link, _, _ = scripted_link()
    for unit in (0, 248):
        with pytest.raises(ValueError, match="1-247"):
            ModbusHeaterBackend("h", link, unit)


def test_heater_frontend_waits_until_stable_over_modbus() -> None:
    backend, port = controller()
    clock = SimulatedClock()
    heater = Heater("reactor_heater", backend, clock, min_temperature_c=0, max_temperature_c=150)
    port.expect(
        build_write(Framing.RTU, 1, 2, 600),
        server_frame(
            Framing.RTU, WriteSingleRegisterResponse(address=2, registers=[600], dev_id=1)
        ),
    )
    for raw in (250, 400, 598):
        port.expect(
            build_read(Framing.RTU, 1, Register(Table.HOLDING, 1)),
            server_frame(Framing.RTU, ReadHoldingRegistersResponse(registers=[raw], dev_id=1)),
        )
    heater.set_temperature(60.0, key="k")
    assert heater.wait_until_stable(tolerance_c=0.5, timeout_s=60) == pytest.approx(59.8)
    assert clock.now_s() == 10.0
