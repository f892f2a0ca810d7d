"""Drivers against the wire-level emulators, over real TCP sockets and pseudo-terminals.

The third level of fake: real bytes through the operating system, with the
failure modes of a real line (silence, noise, half a reply, a device that is
unplugged mid-run), each of which must end in a DeviceError naming the device.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

import pytest

from drivers.errors import (
    DeviceAlarmError,
    DeviceConnectionError,
    DeviceOutOfRangeError,
    DeviceProtocolError,
    DeviceTimeoutError,
)
from drivers.heater import Heater
from drivers.modbus_heater import Framing, ModbusHeaterBackend, Register, RegisterMap, Table
from drivers.new_era import NewEraPumpBackend, Prompt
from drivers.pump import Pump
from drivers.transport import RetryPolicy, SerialLink, serial_port
from drivers.valve import Valve
from drivers.vici import ViciValveBackend
from simulators.clock import SimulatedClock
from simulators.emulators.modbus_controller import ModbusControllerEmulator
from simulators.emulators.ne1000 import NE1000Emulator
from simulators.emulators.servers import PtyServer, TcpServer
from simulators.emulators.vici import ViciEmulator
from simulators.flow_reactor import SimulatedFlowReactor, SimulatedHeater, Stock

needs_pty = pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")


def link(name: str, url: str, timeout_s: float = 0.3) -> SerialLink:
    return SerialLink(
        name,
        url,
        serial_port(url, baudrate=19200),
        timeout_s=timeout_s,
        retry=RetryPolicy(attempts=3, backoff_s=0.01),
    )


@pytest.fixture
def reactor() -> SimulatedFlowReactor:
    return SimulatedFlowReactor(SimulatedClock(), reactor_volume_ml=5.0)


@pytest.fixture(params=["tcp", pytest.param("pty", marks=needs_pty)])
def pump_server(request, reactor) -> Iterator[tuple[TcpServer | PtyServer, NE1000Emulator]]:
    emulator = NE1000Emulator(0, reactor.add_pump("pump_a", Stock("dfnb", 1.0)), reactor.clock)
    server = TcpServer(emulator) if request.param == "tcp" else PtyServer(emulator)
    server.start()
    yield server, emulator
    server.stop()


def new_era_pump(url: str, max_flow_rate_ml_min: float = 8.0) -> Pump:
    backend = NewEraPumpBackend("pump_a", link("pump_a", url), 0, syringe_diameter_mm=14.57)
    pump = Pump("pump_a", backend, max_flow_rate_ml_min)
    pump.connect()
    return pump


# ------------------------------------------------------------------------ NE-1000
def test_pump_runs_the_emulated_world(pump_server, reactor) -> None:
    server, emulator = pump_server
    pump = new_era_pump(server.url)
    assert pump.identify().model == "NE1000"
    pump.set_flow_rate(2.5, key="run/1")
    assert reactor.flows_ml_min["pump_a"] == 2.5
    assert pump.flow_rate_ml_min() == 2.5
    assert emulator.diameter_mm == 14.57 and emulator.prompt is Prompt.INFUSING
    pump.set_flow_rate(0.35, key="run/2")
    assert reactor.flows_ml_min["pump_a"] == pytest.approx(0.35)
    pump.safe_state()
    assert reactor.flows_ml_min["pump_a"] == 0.0
    pump.disconnect()


def test_out_of_range_from_the_pump(pump_server) -> None:
    server, _ = pump_server
    pump = new_era_pump(server.url, max_flow_rate_ml_min=20.0)  # a lab file too generous
    with pytest.raises(DeviceOutOfRangeError, match=r"pump_a: refused 'RAT 9.000MM'"):
        pump.set_flow_rate(9.0, key="k")  # a 14.57 mm syringe takes 8.5 mL/min at most
    pump.disconnect()


def test_silent_garbled_and_truncated_replies_to_queries_are_retried(pump_server) -> None:
    server, _ = pump_server
    pump = new_era_pump(server.url)
    for fault in ("silent", "garble", "truncate"):
        setattr(server.faults, fault, 1)
        assert pump.flow_rate_ml_min() == 0.0
    pump.disconnect()


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("silent", DeviceTimeoutError, "no reply to STP"),
        ("garble", DeviceProtocolError, "garbled reply to STP"),
        ("truncate", DeviceProtocolError, "incomplete reply to STP"),
    ],
)
def test_a_failed_command_is_not_repeated(pump_server, fault, error, message) -> None:
    server, emulator = pump_server
    pump = new_era_pump(server.url)
    setattr(server.faults, fault, 1)
    with pytest.raises(error, match=f"pump_a: {message}"):
        pump.set_flow_rate(0.0, key="k")
    assert emulator.commands.count("STP") == 1
    pump.disconnect()


def test_stalled_motor_is_an_alarm(pump_server) -> None:
    server, emulator = pump_server
    pump = new_era_pump(server.url)
    pump.set_flow_rate(1.0, key="k")
    emulator.stall()
    with pytest.raises(DeviceAlarmError, match="pump_a: alarm S: pump motor stalled"):
        pump.flow_rate_ml_min()
    pump.disconnect()


def test_pump_vanishing_mid_run_fails_fast_naming_it(pump_server) -> None:
    server, _ = pump_server
    pump = new_era_pump(server.url)
    pump.set_flow_rate(1.0, key="run/1")
    server.stop()
    started = time.monotonic()
    with pytest.raises(DeviceConnectionError, match="pump_a: "):
        pump.set_flow_rate(2.0, key="run/2")
    with pytest.raises(DeviceConnectionError, match="pump_a: "):
        pump.flow_rate_ml_min()
    assert time.monotonic() - started < 5.0


# --------------------------------------------------------------------------- VICI
@pytest.fixture(params=["tcp", pytest.param("pty", marks=needs_pty)])
def valve_server(request) -> Iterator[tuple[TcpServer | PtyServer, ViciEmulator, list[int]]]:
    moves: list[int] = []
    emulator = ViciEmulator(positions=6, move_time_s=0.05, on_move=moves.append)
    server = TcpServer(emulator) if request.param == "tcp" else PtyServer(emulator)
    server.start()
    yield server, emulator, moves
    server.stop()


def test_selector_valve_switches_and_confirms(valve_server) -> None:
    server, emulator, moves = valve_server
    valve = Valve("selector", ViciValveBackend("selector", link("selector", server.url)), 6)
    valve.connect()
    assert emulator.response_mode == 0
    valve.switch(4, key="run/1/inject")
    assert moves == [4] and valve.position() == 4
    assert "GO4" in emulator.commands
    assert valve.identify().details == {"mode": "3", "positions": "6"}
    valve.disconnect()


def test_valve_that_does_not_move_times_out(valve_server) -> None:
    server, emulator, _ = valve_server
    emulator.move_time_s = 60.0
    backend = ViciValveBackend("selector", link("selector", server.url), move_timeout_s=0.3)
    valve = Valve("selector", backend, 6)
    valve.connect()
    with pytest.raises(DeviceTimeoutError, match="selector: did not reach position 2"):
        valve.switch(2, key="k")
    valve.disconnect()


def test_valve_vanishing_is_a_connection_error(valve_server) -> None:
    server, _, _ = valve_server
    valve = Valve("selector", ViciValveBackend("selector", link("selector", server.url)), 6)
    valve.connect()
    server.stop()
    with pytest.raises(DeviceConnectionError, match="selector: "):
        valve.switch(3, key="k")


# ------------------------------------------------------------------------- Modbus
@pytest.fixture(params=[Framing.TCP, Framing.RTU])
def controller(request, reactor) -> Iterator[tuple[ModbusControllerEmulator, Framing]]:
    registers = RegisterMap(Register(Table.INPUT, 0), Register(Table.HOLDING, 5))
    emulator = ModbusControllerEmulator(
        SimulatedHeater(reactor), unit=3, registers=registers, framing=request.param
    ).start()
    yield emulator, request.param
    emulator.stop()


def modbus_heater(emulator: ModbusControllerEmulator, framing: Framing, clock) -> Heater:
    backend = ModbusHeaterBackend(
        "reactor_heater", link("reactor_heater", emulator.url), 3, framing, emulator.registers
    )
    heater = Heater("reactor_heater", backend, clock, min_temperature_c=0, max_temperature_c=150)
    heater.connect()
    return heater


def test_heater_over_modbus_heats_the_emulated_reactor(controller, reactor) -> None:
    emulator, framing = controller
    heater = modbus_heater(emulator, framing, reactor.clock)
    assert heater.temperature_c() == 25.0
    heater.set_temperature(85.5, key="run/1")
    assert reactor._setpoint_c == 85.5
    assert heater.wait_until_stable(tolerance_c=0.2, timeout_s=3600) == pytest.approx(85.5, abs=0.2)
    assert heater.heater_backend.setpoint_c() == 85.5  # type: ignore[attr-defined]
    heater.disconnect()


def test_controller_refuses_a_setpoint_beyond_its_range(controller, reactor) -> None:
    emulator, framing = controller
    emulator.setpoint_range_c = (0.0, 100.0)
    heater = modbus_heater(emulator, framing, reactor.clock)
    with pytest.raises(DeviceOutOfRangeError, match=r"reactor_heater: .*illegal data value"):
        heater.set_temperature(120.0, key="k")
    heater.disconnect()


def test_modbus_faults(controller, reactor) -> None:
    emulator, framing = controller
    heater = modbus_heater(emulator, framing, reactor.clock)
    emulator.faults.garble = 1
    assert heater.temperature_c() == 25.0  # a read is retried
    emulator.faults.silent = 1
    with pytest.raises(DeviceTimeoutError, match="reactor_heater: no reply to write setpoint"):
        heater.set_temperature(50.0, key="k")
    heater.disconnect()


def test_controller_vanishing_is_a_connection_error(controller, reactor) -> None:
    emulator, framing = controller
    heater = modbus_heater(emulator, framing, reactor.clock)
    emulator.stop()
    with pytest.raises(DeviceConnectionError, match="reactor_heater: "):
        heater.temperature_c()
