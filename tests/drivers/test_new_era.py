"""New Era NE-1000 driver against a mocked port: the exact bytes of the protocol."""

from __future__ import annotations

import pytest

from drivers.errors import (
    DeviceAlarmError,
    DeviceCommandError,
    DeviceLimitError,
    DeviceOutOfRangeError,
    DeviceProtocolError,
)
from drivers.new_era import (
    Command,
    NewEraPumpBackend,
    Prompt,
    RateUnit,
    Reply,
    build_command,
    format_number,
    parse_dispensed,
    parse_rate,
    parse_reply,
    parse_version,
    rate_argument,
    rate_range_ml_min,
    reply_length,
)
from drivers.pump import Pump
from tests.drivers.fakes import ScriptedPort, scripted_link


def ok(prompt: str = "S", data: str = "", address: int = 0) -> bytes:
    return f"\x02{address:02d}{prompt}{data}\x03".encode()


@pytest.fixture
def pump() -> tuple[NewEraPumpBackend, ScriptedPort]:
    link, port, _ = scripted_link("pump_a")
    return NewEraPumpBackend("pump_a", link, address=0, syringe_diameter_mm=14.57), port


# ----------------------------------------------------------------- pure functions
@pytest.mark.parametrize(
    ("command", "argument", "address", "expected"),
    [
        (Command.RATE, "350.0UM", 0, b"0RAT350.0UM\r"),
        (Command.DIRECTION, "INF", 12, b"12DIRINF\r"),
        (Command.VERSION, "", None, b"VER\r"),
        (Command.STATUS, "", 3, b"3\r"),
    ],
)
def test_build_command(command, argument, address, expected) -> None:
    assert build_command(command, argument, address) == expected


def test_build_command_rejects_addresses_beyond_99() -> None:
    with pytest.raises(ValueError, match="0-99"):
        build_command(Command.RUN, address=100)


@pytest.mark.parametrize(
    ("value", "text"),
    [(14.57, "14.57"), (0.35, "0.350"), (350.0, "350.0"), (9999.4, "9999"), (9.9996, "10.00")],
)
def test_format_number_keeps_four_digits(value, text) -> None:
    assert format_number(value) == text


@pytest.mark.parametrize("value", [-1.0, 10000.0])
def test_format_number_refuses_what_four_digits_cannot_hold(value) -> None:
    with pytest.raises(ValueError):
        format_number(value)


@pytest.mark.parametrize(
    ("flow", "expected"),
    [
        (2.5, ("2.500", RateUnit.ML_MIN)),
        (0.35, ("350.0", RateUnit.UL_MIN)),
        (12.0, ("12.00", RateUnit.ML_MIN)),
        (0.0005, ("30.00", RateUnit.UL_H)),
        (0.001234, ("1.234", RateUnit.UL_MIN)),
    ],
)
def test_rate_argument_picks_the_most_precise_unit(flow, expected) -> None:
    assert rate_argument(flow) == expected
    value, unit = expected
    assert float(value) * unit.ml_min == pytest.approx(flow, rel=5e-4)


def test_rate_range_follows_the_syringe_area() -> None:
    low, high = rate_range_ml_min(26.59)  # 60 mL syringe: the NE-1000's 1699 mL/h
    assert high == pytest.approx(1699 / 60, rel=0.01)
    assert rate_range_ml_min(13.295)[1] == pytest.approx(high / 4)
    assert 0 < low < high


@pytest.mark.parametrize(
    ("frame", "reply"),
    [
        (b"\x0200S\x03", Reply(0, Prompt.STOPPED)),
        (b"\x0200I350.0UM\x03", Reply(0, Prompt.INFUSING, data="350.0UM")),
        (b"\x0203S?OOR\x03", Reply(3, Prompt.STOPPED, error="OOR")),
        (b"\x0200W?\x03", Reply(0, Prompt.WITHDRAWING, error="")),
        (b"\x0201A?S\x03", Reply(1, None, alarm="S")),
    ],
)
def test_parse_reply(frame, reply) -> None:
    assert parse_reply(frame) == reply
    assert reply_length(frame + b"junk") == len(frame)


@pytest.mark.parametrize("frame", [b"00S\x03", b"\x020S\x03", b"\x0200Q\x03", b"\x0200S"])
def test_parse_reply_rejects_malformed_frames(frame) -> None:
    with pytest.raises(ValueError):
        parse_reply(frame)


def test_reply_length() -> None:
    assert reply_length(b"\x0200S") == 0
    with pytest.raises(ValueError, match="STX"):
        reply_length(b"00S\x03")


def test_parse_answers() -> None:
    assert parse_rate("350.0UM") == pytest.approx(0.35)
    assert parse_rate("1.5MH") == pytest.approx(0.025)
    assert parse_dispensed("I1.250W0.010ML") == (1.25, 0.01)
    assert parse_dispensed("I250.0W0UL") == pytest.approx((0.25, 0.0))
    assert parse_version("NE1000V3.928") == ("NE1000", "3.928")
    assert parse_version("X9") == ("X9", "")
    with pytest.raises(ValueError):
        parse_rate("350.0XX")


# ------------------------------------------------------------------------ backend
def test_start_from_stopped_sends_diameter_volume_rate_direction_run(pump) -> None:
    backend, port = pump
    port.expect(b"0\r", ok("S"))
    port.expect(b"0DIA14.57\r", ok("S"))
    port.expect(b"0VOL0\r", ok("S"))
    port.expect(b"0RAT350.0UM\r", ok("S"))
    port.expect(b"0DIRINF\r", ok("S"))
    port.expect(b"0RUN\r", ok("I"))
    backend.set_flow_rate(0.35, key="run/2")
    assert not port.script


def test_rate_change_while_infusing_sends_only_the_rate(pump) -> None:
    backend, port = pump
    port.expect(b"0\r", ok("I"))
    port.expect(b"0RAT2.500MM\r", ok("I"))
    backend.set_flow_rate(2.5, key="run/3")
    assert not port.script


def test_a_withdrawing_pump_is_stopped_before_it_is_reconfigured(pump) -> None:
    backend, port = pump
    port.expect(b"0\r", ok("W"))
    for request in (b"0STP\r", b"0DIA14.57\r", b"0VOL0\r", b"0RAT1.000MM\r", b"0DIRINF\r"):
        port.expect(request, ok("S"))
    port.expect(b"0RUN\r", ok("I"))
    backend.set_flow_rate(1.0, key="k")
    assert not port.script


def test_zero_stops(pump) -> None:
    backend, port = pump
    port.expect(b"0STP\r", ok("S"))
    backend.set_flow_rate(0.0, key="safe")
    assert port.written == [b"0STP\r"]


@pytest.mark.parametrize(("prompt", "expected"), [("I", 0.35), ("W", -0.35), ("S", 0.0)])
def test_flow_rate_reads_rate_and_state(pump, prompt, expected) -> None:
    backend, port = pump
    port.expect(b"0RAT\r", ok(prompt, "350.0UM"))
    assert backend.flow_rate_ml_min() == pytest.approx(expected)


def test_identify_and_dispensed(pump) -> None:
    backend, port = pump
    port.expect(b"0VER\r", ok("S", "NE1000V3.928"))
    port.expect(b"0DIA\r", ok("S", "14.57"))
    identity = backend.identify()
    assert (identity.model, identity.firmware) == ("NE1000", "3.928")
    assert identity.details["syringe_diameter_mm"] == "14.57"
    port.expect(b"0DIS\r", ok("S", "I1.250W0.000ML"))
    assert backend.dispensed_ml() == (1.25, 0.0)


def test_out_of_range_is_a_specific_error(pump) -> None:
    backend, port = pump
    port.expect(b"0\r", ok("I"))
    port.expect(b"0RAT9.000MM\r", ok("I", "?OOR"))
    with pytest.raises(
        DeviceOutOfRangeError, match=r"pump_a: refused 'RAT 9.000MM'.*\(\?OOR\)"
    ) as e:
        backend.set_flow_rate(9.0, key="k")
    assert e.value.code == "?OOR" and e.value.device == "pump_a"


def test_not_applicable_is_a_command_error(pump) -> None:
    backend, port = pump
    port.expect(b"0\r", ok("S"))
    port.expect(b"0DIA14.57\r", ok("S", "?NA"))
    with pytest.raises(DeviceCommandError, match="not currently applicable") as e:
        backend.set_flow_rate(1.0, key="k")
    assert not isinstance(e.value, DeviceOutOfRangeError)


def test_alarm_is_reported_and_not_retried(pump) -> None:
    backend, port = pump
    port.expect(b"0RAT\r", ok("A?S"))
    with pytest.raises(DeviceAlarmError, match="pump_a: alarm S: pump motor stalled"):
        backend.flow_rate_ml_min()
    assert len(port.written) == 1


def test_reply_from_another_address_is_a_protocol_error(pump) -> None:
    backend, port = pump
    port.expect(b"0STP\r", ok("S", address=1))
    with pytest.raises(DeviceProtocolError, match="came from address 1, not 0"):
        backend.set_flow_rate(0.0, key="k")


def test_garbled_query_is_retried_but_a_garbled_command_is_not(pump) -> None:
    backend, port = pump
    port.expect(b"0RAT\r", b"\x0200Z\x03")
    port.expect(b"0RAT\r", ok("I", "1.000MM"))
    assert backend.flow_rate_ml_min() == 1.0
    port.expect(b"0STP\r", b"\x02??\x03")
    with pytest.raises(DeviceProtocolError, match="garbled reply to STP"):
        backend.set_flow_rate(0.0, key="k")
    assert port.written.count(b"0STP\r") == 1


def test_unexpected_answer_to_a_query(pump) -> None:
    backend, port = pump
    port.expect(b"0DIS\r", ok("S", "nonsense"))
    with pytest.raises(DeviceProtocolError, match="unexpected answer to DIS"):
        backend.dispensed_ml()


def test_frontend_limit_sends_nothing(pump) -> None:
    backend, port = pump
    frontend = Pump("pump_a", backend, max_flow_rate_ml_min=5.0)
    with pytest.raises(DeviceLimitError, match="outside"):
        frontend.set_flow_rate(6.0, key="k")
    assert port.written == []


def test_constructor_checks_address_and_diameter() -> None:
    link, _, _ = scripted_link()
    with pytest.raises(ValueError, match="0-99"):
        NewEraPumpBackend("p", link, address=100, syringe_diameter_mm=14.57)
    with pytest.raises(ValueError, match="four digits"):
        NewEraPumpBackend("p", link, address=0, syringe_diameter_mm=12345.0)
