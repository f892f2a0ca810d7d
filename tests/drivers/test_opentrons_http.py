"""The Opentrons HTTP backend against a mocked transport: exact requests, retries, errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import httpx
import pytest

from drivers.errors import DeviceError, DeviceLimitError, DeviceTimeoutError
from drivers.liquid_handler import LiquidHandler, RobotProgram
from drivers.opentrons_http import OpentronsHttpBackend

PROGRAM = RobotProgram(
    filename="plate.py",
    text="requirements = {'robotType': 'OT-2', 'apiLevel': '2.20'}\n",
    robot_type="OT-2",
    runtime_values={"return_tips": True},
    runtime_files={"transfers": ("transfers.csv", b"action,mount\n")},
)
KEY = "campaign#plate-1"


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now_s(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


Handler = Callable[[httpx.Request], httpx.Response]


def backend(handler: Handler, **kw: object) -> tuple[OpentronsHttpBackend, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return handler(request)

    b = OpentronsHttpBackend(
        "ot2",
        "http://robot:31950",
        transport=httpx.MockTransport(record),
        clock=FakeClock(),
        poll_interval_s=1.0,
        **kw,  # type: ignore[arg-type]
    )
    b.connect()
    seen.clear()
    return b, seen


def robot(statuses: list[str], analysis: str = "ok", known: bool = False) -> Handler:
    """A scripted robot: one protocol, one run whose status moves through ``statuses``."""
    polls = iter(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if path == "/health":
            return httpx.Response(200, json={"name": "ot2", "robot_model": "OT-2 Standard"})
        if (method, path) == ("GET", "/protocols"):
            mine = [{"id": "p1", "key": KEY}] if known else [{"id": "p0", "key": "other"}]
            return httpx.Response(200, json={"data": mine})
        if (method, path) == ("GET", "/protocols/p0"):
            return httpx.Response(200, json={"data": {}, "links": {"referencingRuns": []}})
        if (method, path) == ("GET", "/protocols/p1"):
            return httpx.Response(
                200, json={"data": {}, "links": {"referencingRuns": [{"id": "r1"}]}}
            )
        if (method, path) == ("POST", "/dataFiles"):
            return httpx.Response(201, json={"data": {"id": "f1", "name": "transfers.csv"}})
        if (method, path) == ("POST", "/protocols"):
            return httpx.Response(
                201,
                json={
                    "data": {"id": "p1", "analysisSummaries": [{"id": "a1", "status": "pending"}]}
                },
            )
        if path == "/protocols/p1/analyses/a1":
            errors = (
                [] if analysis == "ok" else [{"errorType": "ValueError", "detail": "row 3 bad"}]
            )
            return httpx.Response(
                200, json={"data": {"status": "completed", "result": analysis, "errors": errors}}
            )
        if (method, path) == ("POST", "/runs"):
            return httpx.Response(201, json={"data": {"id": "r1", "status": "idle"}})
        if path == "/runs/r1/actions":
            return httpx.Response(201, json={"data": {"id": "x", "actionType": "play"}})
        if path == "/runs/r1":
            status = next(polls)
            errors = (
                [{"errorType": "PipetteOverpressure", "detail": "clog"}]
                if status == "failed"
                else []
            )
            labware = [{"id": "L1", "loadName": "corning", "displayName": "plate"}]
            return httpx.Response(
                200,
                json={"data": {"id": "r1", "status": status, "errors": errors, "labware": labware}},
            )
        if path == "/runs/r1/commands":
            cursor = int(request.url.params["cursor"])
            data = [{"commandType": "home", "status": "succeeded", "params": {}}] * 3
            return httpx.Response(
                200, json={"data": data[cursor : cursor + 2], "meta": {"totalLength": 3}}
            )
        return httpx.Response(404, json={"errors": [{"id": "NotFound", "detail": path}]})

    return handle


def test_a_run_sends_exactly_the_documented_requests() -> None:
    b, seen = backend(robot(["running", "succeeded"]), get_retries=0)
    report = LiquidHandler("ot2", b, "OT-2", 3600).run(PROGRAM, KEY)
    assert report.succeeded and report.run_id == "r1" and len(report.commands) == 3
    assert report.labware == {"L1": "plate"}
    assert [(r.method, r.url.path) for r in seen] == [
        ("GET", "/protocols"),
        ("POST", "/dataFiles"),
        ("POST", "/protocols"),
        ("GET", "/protocols/p1/analyses/a1"),
        ("POST", "/runs"),
        ("POST", "/runs/r1/actions"),
        ("GET", "/runs/r1"),
        ("GET", "/runs/r1"),
        ("GET", "/runs/r1/commands"),
        ("GET", "/runs/r1/commands"),
    ]
    assert all(r.headers["Opentrons-Version"] == "4" for r in seen)
    upload = seen[2].content
    digest = hashlib.sha256(KEY.encode()).hexdigest()[:12]
    assert f'filename="plate-{digest}.py"'.encode() in upload
    assert b'name="key"\r\n\r\ncampaign#plate-1' in upload
    assert b'{"transfers": "f1"}' in upload and b'{"return_tips": true}' in upload
    assert b'filename="transfers.csv"' in seen[1].content
    assert json.loads(seen[4].content) == {
        "data": {
            "protocolId": "p1",
            "runTimeParameterValues": {"return_tips": True},
            "runTimeParameterFiles": {"transfers": "f1"},
        }
    }
    assert json.loads(seen[5].content) == {"data": {"actionType": "play"}}
    assert seen[8].url.params["cursor"] == "0" and seen[9].url.params["cursor"] == "2"


def test_a_resumed_orchestrator_follows_the_run_it_started() -> None:
    b, seen = backend(robot(["running", "succeeded"], known=True))
    report = b.run(PROGRAM, KEY, timeout_s=60)
    assert report.run_id == "r1"
    assert not [r for r in seen if r.method == "POST"]  # nothing uploaded, no second run


def test_failed_run_and_rejected_analysis_are_device_errors() -> None:
    b, _ = backend(robot(["running", "failed"]))
    with pytest.raises(DeviceError, match=r"ot2: run r1 failed.*PipetteOverpressure: clog"):
        LiquidHandler("ot2", b, "OT-2", 3600).run(PROGRAM, KEY)
    b, seen = backend(robot([], analysis="not-ok"))
    with pytest.raises(
        DeviceError, match=r"analysis rejects the protocol \(not-ok\): ValueError: row 3"
    ):
        b.run(PROGRAM, KEY, timeout_s=60)
    assert ("POST", "/runs") not in [(r.method, r.url.path) for r in seen]


def test_a_run_past_its_time_limit_is_stopped() -> None:
    b, seen = backend(robot(["running"] * 100))
    with pytest.raises(DeviceTimeoutError, match="still running at its time limit; stopped it"):
        b.run(PROGRAM, KEY, timeout_s=5)
    actions = [
        json.loads(r.content)["data"]["actionType"] for r in seen if r.url.path.endswith("/actions")
    ]
    assert actions == ["play", "stop"]


def test_gets_are_retried_posts_never() -> None:
    calls = {"GET": 0, "POST": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls[request.method] += 1
        if request.url.path == "/health" and calls["GET"] == 1:
            return httpx.Response(200, json={})
        if request.method == "GET" and calls["GET"] < 4:
            raise httpx.ConnectError("connection refused")
        if request.method == "GET":
            return httpx.Response(200, json={"data": []})
        return httpx.Response(503, json={"errors": [{"id": "Busy", "detail": "starting"}]})

    b, _ = backend(flaky, get_retries=3)
    with pytest.raises(DeviceError, match=r"ot2: POST /dataFiles answered 503: Busy starting"):
        b.run(PROGRAM, KEY, timeout_s=60)
    assert calls == {"GET": 4, "POST": 1}


def test_unreachable_robot_and_timeouts_name_the_device() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    with pytest.raises(
        DeviceError, match=r"ot2: GET http://robot:31950/health failed: ConnectError"
    ):
        backend(down, get_retries=1)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    with pytest.raises(DeviceTimeoutError, match=r"ot2: GET .*/health failed: ReadTimeout"):
        backend(slow, get_retries=0)


def test_frontend_refuses_programs_for_another_robot_before_sending() -> None:
    b, seen = backend(robot([]))
    flex = RobotProgram("p.py", "x = 1", "Flex")
    with pytest.raises(DeviceLimitError, match="is for an Flex; this is an OT-2"):
        LiquidHandler("ot2", b, "OT-2", 60).run(flex, KEY)
    with pytest.raises(DeviceLimitError, match="runtime files must be CSV"):
        bad = RobotProgram("p.py", "x = 1", "OT-2", runtime_files={"t": ("t.xlsx", b"")})
        LiquidHandler("ot2", b, "OT-2", 60).run(bad, KEY)
    assert seen == []
