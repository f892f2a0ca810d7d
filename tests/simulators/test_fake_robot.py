"""The HTTP backend against the fake robot server over a real loopback socket."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from drivers.errors import DeviceError, DeviceTimeoutError
from drivers.liquid_handler import LiquidHandler, RobotProgram, liquid_movements
from drivers.opentrons_http import OpentronsHttpBackend
from protocols.hte import build_plate
from protocols.opentrons import compile_opentrons
from simulators.fake_robot_server import RobotServer, serve_fake_robot
from tests.hte_fixtures import deck, designs, recipe


@pytest.fixture
def server() -> Iterator[RobotServer]:
    with serve_fake_robot("OT-2") as served:
        yield served


def program(n: int = 3, table: str | None = None, robot_type: str = "OT-2") -> RobotProgram:
    plan = build_plate(designs(n), recipe(mix_repetitions=0), deck(robot_type), "plate")
    compiled = compile_opentrons(plan.protocol, deck(robot_type), "lh")
    csv = (table or compiled.transfers_csv).encode()
    return RobotProgram(
        compiled.filename,
        compiled.text,
        robot_type,
        {"return_tips": False},
        {"transfers": ("transfers.csv", csv)},
    )


def handler(server: RobotServer, timeout_s: float = 60) -> LiquidHandler:
    backend = OpentronsHttpBackend("ot2", server.base_url, poll_interval_s=0.05, timeout_s=5)
    device = LiquidHandler("ot2", backend, "OT-2", timeout_s)
    device.connect()
    return device


def test_a_plate_runs_in_the_simulator_behind_the_http_api(server: RobotServer) -> None:
    device = handler(server)
    assert device.identify().model == "OT-2 Standard"
    report = device.run(program(), "c/plate-1")
    moved = liquid_movements(report)
    assert report.succeeded and len(moved) == 3 * 4  # solvent, halide, catalyst, base per well
    assert {m.destination for m in moved} == {("plate", "A1"), ("plate", "B1"), ("plate", "C1")}
    assert [m.volume_ul for m in moved if m.source == ("stocks", "A1")] == [30.0, 30.0, 30.0]


def test_the_csv_runtime_parameter_replaces_the_compiled_table(server: RobotServer) -> None:
    full = program()
    header, first, *_ = full.runtime_files["transfers"][1].decode().splitlines()
    report = handler(server).run(program(table=f"{header}\n{first}\n"), "c/plate-2")
    assert len(liquid_movements(report)) == 1


def test_a_resumed_run_is_followed_not_repeated(server: RobotServer) -> None:
    first = handler(server).run(program(), "c/plate-3")
    again = handler(server).run(program(), "c/plate-3")  # a new process, same key
    assert again.run_id == first.run_id and len(server.robot.runs) == 1


def test_injected_failures_become_device_errors(server: RobotServer) -> None:
    server.robot.fail_next_run("pipette overpressure in right mount")
    with pytest.raises(DeviceError, match=r"run .* failed .*overpressure in right mount"):
        handler(server).run(program(), "c/plate-4")
    server.robot.hang_runs()
    with pytest.raises(DeviceTimeoutError, match="time limit; stopped it"):
        handler(server, timeout_s=1.0).run(program(2), "c/plate-5")
    statuses = [r.status for r in server.robot.runs.values()]
    assert statuses[0] == "failed" and statuses[1] in ("stop-requested", "stopped")


def test_a_faulty_table_is_refused_at_analysis_and_never_run(server: RobotServer) -> None:
    header = program().runtime_files["transfers"][1].decode().splitlines()[0]
    bad = f"{header}\ntransfer,right,stocks,A1,plate,A1,900,1,bottom,0\n"
    with pytest.raises(DeviceError, match=r"analysis rejects the protocol.*row 1.*outside"):
        handler(server).run(program(table=bad), "c/plate-6")
    assert server.robot.runs == {}


def test_wrong_robot_503s_headers_and_disconnects(server: RobotServer) -> None:
    with pytest.raises(DeviceError, match="answered 422: ProtocolRobotTypeMismatch"):
        backend = OpentronsHttpBackend("ot2", server.base_url, poll_interval_s=0.05)
        LiquidHandler("ot2", backend, "Flex", 60).connect()
        LiquidHandler("ot2", backend, "Flex", 60).run(program(robot_type="Flex"), "c/flex")
    server.robot.unavailable_for(2)
    assert handler(server).identify().model == "OT-2 Standard"  # GETs retried through the 503s
    assert httpx.get(f"{server.base_url}/health").status_code == 422  # no Opentrons-Version
    device = handler(server)
    server.shutdown()
    with pytest.raises(DeviceError, match=r"ot2: GET .* failed: ConnectError"):
        device.run(program(), "c/plate-7")
