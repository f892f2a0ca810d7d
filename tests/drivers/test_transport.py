"""SerialLink: deadlines, framing, retries for idempotent queries only, error mapping."""

from __future__ import annotations

import logging
import time

import pytest
import serial

from drivers.errors import (
    DeviceConnectionError,
    DeviceOutOfRangeError,
    DeviceProtocolError,
    DeviceTimeoutError,
)
from drivers.transport import RetryPolicy, SerialLink, serial_port, terminated_by
from tests.drivers.fakes import VANISHED, ScriptedPort, scripted_link

LINE = terminated_by(b"\r")


def text(frame: bytes) -> str:
    return frame.decode().strip()


def test_exchange_returns_the_parsed_reply_and_logs_the_key(caplog) -> None:
    link, port, _ = scripted_link("pump_a")
    port.expect(b"VER\r", b"NE1000V3.928\r")
    with caplog.at_level(logging.DEBUG, logger="drivers.transport"):
        assert link.exchange(b"VER\r", LINE, text, label="VER", key="run/3") == "NE1000V3.928"
    assert "key run/3" in caplog.text and "pump_a" in caplog.text


def test_reply_split_over_many_reads_is_reassembled() -> None:
    class Dribble(ScriptedPort):
        def read(self, size: int = 1, /) -> bytes:
            return super().read(1)  # one byte at a time, like a slow line

    link, port, _ = scripted_link(port=Dribble())
    port.expect(b"CP\r", b"CP03\r")
    assert link.exchange(b"CP\r", LINE, text, label="CP", key="") == "CP03"


def test_silence_is_a_timeout_naming_device_and_command() -> None:
    link, port, _ = scripted_link("valve_1", timeout_s=0.1)
    port.expect(b"CP\r")
    started = time.monotonic()
    with pytest.raises(DeviceTimeoutError, match=r"valve_1: no reply to CP within 0.1 s"):
        link.exchange(b"CP\r", LINE, text, label="CP", key="")
    assert time.monotonic() - started < 1.0


def test_partial_reply_is_an_incomplete_reply() -> None:
    link, port, _ = scripted_link("valve_1", timeout_s=0.1)
    port.expect(b"CP\r", b"CP0")
    with pytest.raises(DeviceProtocolError, match=r"incomplete reply to CP: b'CP0'"):
        link.exchange(b"CP\r", LINE, text, label="CP", key="")


def test_frame_rule_rejecting_bytes_is_a_garbled_reply() -> None:
    def stx_only(buffer: bytes) -> int:
        if not buffer.startswith(b"\x02"):
            raise ValueError("a reply starts with STX")
        return 0

    link, port, _ = scripted_link("pump_a")
    port.expect(b"0\r", b"\xff\xfe")
    with pytest.raises(DeviceProtocolError, match="garbled reply to status"):
        link.exchange(b"0\r", stx_only, text, label="status", key="")


def test_endless_noise_without_a_frame_is_garbled() -> None:
    link, port, _ = scripted_link("pump_a", timeout_s=1.0)
    port.expect(b"0\r", b"x" * 2000)
    with pytest.raises(DeviceProtocolError, match="bytes without a frame"):
        link.exchange(b"0\r", LINE, text, label="status", key="")


def test_idempotent_queries_are_retried_with_exponential_backoff() -> None:
    link, port, sleeps = scripted_link(timeout_s=0.05, retry=RetryPolicy(3, 0.1, 2.0))
    port.expect(b"CP\r")  # silence
    port.expect(b"CP\r", b"\x00garbage")  # incomplete
    port.expect(b"CP\r", b"CP07\r")
    assert link.exchange(b"CP\r", LINE, text, label="CP", key="", idempotent=True) == "CP07"
    assert sleeps == [0.1, 0.2]


def test_retries_give_up_with_the_last_error() -> None:
    link, port, sleeps = scripted_link("valve_1", timeout_s=0.05)
    for _ in range(3):
        port.expect(b"CP\r")
    with pytest.raises(DeviceTimeoutError, match="gave up after 3 attempts"):
        link.exchange(b"CP\r", LINE, text, label="CP", key="", idempotent=True)
    assert len(port.written) == 3 and len(sleeps) == 2


def test_commands_that_change_the_device_are_never_retried() -> None:
    link, port, sleeps = scripted_link(timeout_s=0.05)
    port.expect(b"RUN\r")
    with pytest.raises(DeviceTimeoutError):
        link.exchange(b"RUN\r", LINE, text, label="RUN", key="k", idempotent=False)
    assert port.written == [b"RUN\r"] and sleeps == []


def test_refusals_from_parse_are_not_retried() -> None:
    def refuse(frame: bytes) -> str:
        raise DeviceOutOfRangeError("pump_a", "RAT", "?OOR", "out of range")

    link, port, sleeps = scripted_link()
    port.expect(b"RAT\r", b"?OOR\r")
    with pytest.raises(DeviceOutOfRangeError):
        link.exchange(b"RAT\r", LINE, refuse, label="RAT", key="", idempotent=True)
    assert len(port.written) == 1 and sleeps == []


def test_a_vanished_device_is_a_connection_error_and_the_link_reconnects() -> None:
    ports = [ScriptedPort(), ScriptedPort()]
    ports[0].expect(b"CP\r", error=VANISHED)
    ports[1].expect(b"CP\r", b"CP02\r")
    opened = iter(ports)
    link = SerialLink("valve_1", "socket://x:1", lambda: next(opened), sleep=lambda s: None)
    assert link.exchange(b"CP\r", LINE, text, label="CP", key="", idempotent=True) == "CP02"
    assert ports[0].closed and not ports[1].closed


def test_a_vanished_device_during_a_command_is_reported_at_once() -> None:
    link, port, _ = scripted_link("pump_a")
    port.expect(b"STP\r", error=VANISHED)
    with pytest.raises(DeviceConnectionError, match="pump_a: connection to fake://port lost"):
        link.exchange(b"STP\r", LINE, text, label="STP", key="")
    assert port.closed and not link.is_open


def test_a_port_that_cannot_be_opened_names_device_and_port() -> None:
    def refuse() -> ScriptedPort:
        raise serial.SerialException("could not open port /dev/ttyUSB9: [Errno 2] No such file")

    link = SerialLink("pump_a", "/dev/ttyUSB9", refuse)
    with pytest.raises(DeviceConnectionError, match=r"pump_a: cannot open port /dev/ttyUSB9"):
        link.open()


def test_write_timeout_is_a_timeout() -> None:
    class Stuck(ScriptedPort):
        def write(self, data: bytes, /) -> int:
            raise serial.SerialTimeoutException("Write timeout")

    link, _, _ = scripted_link("pump_a", port=Stuck())
    with pytest.raises(DeviceTimeoutError, match="sending RUN to fake://port timed out"):
        link.send(b"RUN\r", label="RUN", key="")


def test_stale_bytes_are_dropped_before_each_request() -> None:
    link, port, _ = scripted_link()
    port._incoming += b"CP01\r"  # a late reply to an earlier command
    port.expect(b"CP\r", b"CP04\r")
    assert link.exchange(b"CP\r", LINE, text, label="CP", key="") == "CP04"


def test_serial_for_url_loop_port_round_trip() -> None:
    link = SerialLink("echo", "loop://", serial_port("loop://", baudrate=9600), timeout_s=0.5)
    assert link.exchange(b"PING\r", LINE, text, label="PING", key="") == "PING"
    link.close()
    assert not link.is_open


def test_bad_url_is_a_connection_error() -> None:
    link = SerialLink("pump_a", "nope://x", serial_port("nope://x", baudrate=9600))
    with pytest.raises(DeviceConnectionError, match="pump_a: cannot open port nope://x"):
        link.open()
