"""Wire-level emulators at the command level: the protocol answers, and the world behind them."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from drivers.hplc_files import concentrations_mol_l, parse_report
from simulators.clock import SimulatedClock
from simulators.emulators.hplc import HplcEmulator
from simulators.emulators.ne1000 import NE1000Emulator
from simulators.emulators.servers import Faults, TcpServer
from simulators.emulators.vici import ViciEmulator
from simulators.flow_reactor import SimulatedAnalyzer, SimulatedFlowReactor, Stock


def world() -> tuple[SimulatedFlowReactor, SimulatedClock]:
    clock = SimulatedClock()
    return SimulatedFlowReactor(clock, reactor_volume_ml=5.0), clock


# ------------------------------------------------------------------------ NE-1000
def ne1000() -> tuple[NE1000Emulator, SimulatedFlowReactor, SimulatedClock]:
    reactor, clock = world()
    pump = reactor.add_pump("pump_a", Stock("dfnb", 1.0))
    return NE1000Emulator(0, pump, clock, name="pump_a"), reactor, clock


def test_ne1000_answers_in_basic_mode_frames() -> None:
    emulator, _, _ = ne1000()
    assert emulator.respond(b"0") == b"\x0200S\x03"
    assert emulator.respond(b"0VER") == b"\x0200SNE1000V3.928\x03"
    assert emulator.respond(b"0 dia 14.57") == b"\x0200S\x03"  # spaces and case do not matter
    assert emulator.respond(b"0DIA") == b"\x0200S14.57\x03"
    assert emulator.respond(b"0FOO") == b"\x0200S?\x03"
    assert emulator.respond(b"1RAT") is None  # another pump's address


def test_ne1000_pumping_drives_the_world() -> None:
    emulator, reactor, clock = ne1000()
    for command in (b"0DIA14.57", b"0RAT2.000MM", b"0DIRINF"):
        assert emulator.respond(command) == b"\x0200S\x03"
    assert emulator.respond(b"0RUN") == b"\x0200I\x03"
    assert reactor.flows_ml_min["pump_a"] == 2.0
    assert emulator.respond(b"0RAT500.0UM") == b"\x0200I\x03"  # rate changes while pumping
    assert reactor.flows_ml_min["pump_a"] == 0.5
    clock.sleep(120)
    assert emulator.respond(b"0DIS") == b"\x0200II1.000W0.000ML\x03"
    assert emulator.respond(b"0STP") == b"\x0200S\x03"
    assert reactor.flows_ml_min["pump_a"] == 0.0


def test_ne1000_refusals() -> None:
    emulator, _, _ = ne1000()
    emulator.respond(b"0DIA14.57")
    assert emulator.respond(b"0RAT9.000MM") == b"\x0200S?OOR\x03"  # 8.5 mL/min at most
    assert emulator.respond(b"0DIA60") == b"\x0200S?OOR\x03"
    emulator.respond(b"0RUN")
    assert emulator.respond(b"0DIA10") == b"\x0200I?NA\x03"
    assert emulator.respond(b"0DIRWDR") == b"\x0200I?NA\x03"


def test_ne1000_volume_target_stops_the_pump() -> None:
    emulator, reactor, clock = ne1000()
    emulator.respond(b"0RAT1.000MM")
    emulator.respond(b"0VOL0.5")
    emulator.respond(b"0RUN")
    clock.sleep(60)
    assert emulator.respond(b"0") == b"\x0200S\x03"
    assert reactor.flows_ml_min["pump_a"] == 0.0


def test_ne1000_stall_alarm_is_reported_once() -> None:
    emulator, reactor, _ = ne1000()
    emulator.respond(b"0RUN")
    emulator.stall()
    assert reactor.flows_ml_min["pump_a"] == 0.0
    assert emulator.respond(b"0RAT") == b"\x0200A?S\x03"
    assert emulator.respond(b"0") == b"\x0200S\x03"


# --------------------------------------------------------------------------- VICI
def test_vici_multiposition() -> None:
    moves: list[int] = []
    emulator = ViciEmulator(positions=10, move_time_s=0.0, on_move=moves.append)
    assert emulator.respond(b"CP") == b"CP01\r"
    assert emulator.respond(b"NP") == b"NP10\r"
    assert emulator.respond(b"AM") == b"AM3\r"
    assert emulator.respond(b"GO7") == b"CP07\r"  # response mode 1 answers a finished move
    assert emulator.respond(b"IFM0") is None
    assert emulator.respond(b"GO3") is None
    assert emulator.respond(b"CP") == b"CP03\r"
    assert emulator.respond(b"GO11") == b"Bad command\r"
    assert emulator.respond(b"GOA") == b"Bad command\r"
    assert emulator.respond(b"XYZ") == b"Bad command\r"
    assert moves == [7, 3]


def test_vici_move_takes_time() -> None:
    emulator = ViciEmulator(positions=4, move_time_s=0.1)
    emulator.respond(b"IFM0")
    emulator.respond(b"GO2")
    assert emulator.respond(b"CP") == b"CP01\r"
    time.sleep(0.15)
    assert emulator.respond(b"CP") == b"CP02\r"


def test_vici_two_position_and_id_prefix() -> None:
    emulator = ViciEmulator(mode=1, device_id=3, move_time_s=0.0)
    assert emulator.respond(b"CP") is None  # no ID: not for this actuator
    assert emulator.respond(b"3CP") == b"CPA\r"
    assert emulator.respond(b"3GOB") == b"CPB\r"
    assert emulator.respond(b"3GO2") == b"Bad command\r"
    assert emulator.position == 2


# --------------------------------------------------------------------------- HPLC
def test_hplc_reports_the_outlet_after_its_run_time(tmp_path: Path) -> None:
    reactor, clock = world()
    reactor.add_pump("a", Stock("dfnb", 1.0)).set_flow_rate(5.0, "k")
    clock.sleep(600)  # flushed: the outlet is the stock
    factors = {"dfnb": 1e-6, "ortho": 2e-6}
    hplc = HplcEmulator(SimulatedAnalyzer(reactor), tmp_path / "reports", factors, clock, 120.0)
    hplc.start()
    try:
        hplc.inject("probe")
        deadline = time.monotonic() + 5
        while not list((tmp_path / "reports").glob("*.csv")) and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        hplc.stop()
    (report,) = (tmp_path / "reports").glob("*.csv")
    values = concentrations_mol_l(parse_report(report.read_text()), factors)
    assert values["dfnb_mol_l"] == pytest.approx(1.0, rel=1e-9)
    assert values["ortho_mol_l"] == 0.0
    assert not list((tmp_path / "reports").glob("*.tmp"))


# ------------------------------------------------------------------------ servers
def test_tcp_server_serves_many_commands_and_applies_faults() -> None:
    server = TcpServer(ViciEmulator(positions=6)).start()
    try:
        with socket.create_connection((server.host, server.port), timeout=2) as client:
            client.sendall(b"NP\rAM\r")  # two commands in one segment
            assert _recv_until(client, 2) == b"NP06\rAM3\r"
            server.faults.truncate = 1
            client.sendall(b"NP\r")
            assert _recv_until(client, 1, b"NP") == b"NP"
    finally:
        server.stop()
    with pytest.raises(OSError):
        socket.create_connection((server.host, server.port), timeout=1)


def test_faults_apply_in_order() -> None:
    faults = Faults(silent=1, garble=1, truncate=1)
    assert faults.apply(b"CP01\r") is None
    assert faults.apply(b"CP01\r") != b"CP01\r"
    assert faults.apply(b"CP01\r") == b"CP"
    assert faults.apply(b"CP01\r") == b"CP01\r"


def _recv_until(client: socket.socket, lines: int, expect: bytes | None = None) -> bytes:
    data = b""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and data.count(b"\r") < lines and data != expect:
        try:
            data += client.recv(100)
        except TimeoutError:
            break
    return data
