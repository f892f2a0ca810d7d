"""VICI universal actuator driver and the Valve frontend against a mocked port."""

from __future__ import annotations

import time

import pytest

from drivers.errors import DeviceError, DeviceLimitError, DeviceProtocolError, DeviceTimeoutError
from drivers.valve import Valve
from drivers.vici import (
    Command,
    ViciValveBackend,
    build_command,
    go_argument,
    parse_position,
    parse_setting,
)
from simulators.valve import SimulatedValve
from tests.drivers.fakes import VANISHED, ScriptedPort, scripted_link


def actuator(mode: int = 3, device_id: int | None = None) -> tuple[ViciValveBackend, ScriptedPort]:
    link, port, _ = scripted_link("selector")
    backend = ViciValveBackend(
        "selector", link, device_id, move_timeout_s=0.3, poll_interval_s=0.02, sleep=time.sleep
    )
    prefix = b"" if device_id is None else str(device_id).encode()
    port.expect(prefix + b"AM\r", prefix + f"AM{mode}\r".encode())
    port.expect(prefix + b"IFM0\r")
    backend.connect()
    return backend, port


@pytest.mark.parametrize(
    ("line", "device_id", "position"),
    [
        (b"CP03\r", None, 3),
        (b"CP12", None, 12),
        (b"CPA\r", None, 1),
        (b"CPB\r", None, 2),
        (b"CP = 03\r", None, 3),
        (b"Position is = 3\r", None, 3),
        (b"Position is  7\r\n", None, 7),
        (b"1CP05\r", 1, 5),
    ],
)
def test_parse_position(line, device_id, position) -> None:
    assert parse_position(line, device_id) == position


@pytest.mark.parametrize("line", [b"Bad command\r", b"CP\r", b"NP10\r", b"CPC\r"])
def test_parse_position_rejects_other_answers(line) -> None:
    with pytest.raises(ValueError):
        parse_position(line)


def test_settings_and_commands() -> None:
    assert parse_setting(b"NP10\r", Command.POSITIONS) == 10
    assert parse_setting(b"NP = 06\r", Command.POSITIONS) == 6
    assert parse_setting(b"2AM3\r", Command.MODE, device_id=2) == 3
    with pytest.raises(ValueError):
        parse_setting(b"AM3\r", Command.POSITIONS)
    assert build_command(Command.GO, "3") == b"GO3\r"
    assert build_command(Command.CURRENT_POSITION, device_id=4) == b"4CP\r"
    assert go_argument(2, two_position=True) == "B" and go_argument(2, two_position=False) == "2"
    with pytest.raises(ValueError, match="0-9"):
        build_command(Command.GO, "1", device_id=10)


def test_connect_reads_the_mode_and_silences_action_replies() -> None:
    backend, port = actuator(mode=3)
    assert port.written == [b"AM\r", b"IFM0\r"]
    assert not backend.two_position


def test_switch_sends_go_once_and_polls_until_there() -> None:
    backend, port = actuator()
    port.expect(b"GO3\r")
    port.expect(b"CP\r", b"CP01\r")
    port.expect(b"CP\r", b"CP03\r")
    backend.switch_to(3, key="run/4")
    assert port.written[2:] == [b"GO3\r", b"CP\r", b"CP\r"]


def test_two_position_valves_move_by_letter() -> None:
    backend, port = actuator(mode=1, device_id=2)
    port.expect(b"2GOB\r")
    port.expect(b"2CP\r", b"2CPB\r")
    backend.switch_to(2, key="k")
    assert backend.position_count() == 2


def test_a_stuck_valve_times_out_naming_where_it_is() -> None:
    backend, port = actuator()
    port.expect(b"GO5\r")
    for _ in range(200):
        port.expect(b"CP\r", b"CP02\r")
    with pytest.raises(DeviceTimeoutError, match=r"selector: did not reach position 5 .*at 2"):
        backend.switch_to(5, key="k")


def test_identify_and_position_count() -> None:
    backend, port = actuator()
    port.expect(b"VR\r", b"UA_MAIN 1.11\r")
    port.expect(b"NP\r", b"NP10\r")
    identity = backend.identify()
    assert identity.firmware == "UA_MAIN 1.11" and identity.details["positions"] == "10"


def test_unexpected_answer_is_retried_then_a_protocol_error() -> None:
    backend, port = actuator()
    for _ in range(3):
        port.expect(b"CP\r", b"Bad command\r")
    with pytest.raises(DeviceProtocolError, match="unexpected answer to CP"):
        backend.position()


def test_frontend_checks_positions_and_tracks_the_valve() -> None:
    backend = SimulatedValve(positions=6)
    valve = Valve("selector", backend, positions=6)
    valve.connect()
    assert valve.current_position == 1
    valve.switch(4, key="k1")
    assert valve.current_position == 4 and valve.position() == 4
    for bad in (0, 7):
        with pytest.raises(DeviceLimitError, match="1-6"):
            valve.switch(bad, key="k2")
    assert backend.moves == [(4, "k1")]


def test_frontend_refuses_a_valve_with_another_number_of_positions() -> None:
    valve = Valve("selector", SimulatedValve(positions=10), positions=6)
    with pytest.raises(DeviceError, match="declares 6 positions but the valve reports 10"):
        valve.connect()


def test_a_go_lost_with_a_dropped_connection_is_sent_again_after_the_reconnect() -> None:
    backend, port = actuator()
    port.expect(b"GO3\r")
    port.expect(b"CP\r", error=VANISHED)  # the line dropped: GO died with it
    port.expect(b"CP\r", b"CP01\r")  # reconnected (same scripted port): still at 1
    port.expect(b"GO3\r")
    port.expect(b"CP\r", b"CP03\r")
    backend.switch_to(3, key="run/4")
    assert port.written[2:] == [b"GO3\r", b"CP\r", b"CP\r", b"GO3\r", b"CP\r"]
