"""A fake Opentrons robot server on loopback: the documented HTTP API over :class:`FakeRobot`.

Endpoints (as the OT-2/Flex robot server, port 31950): ``GET /health``,
``POST /dataFiles``, ``POST|GET /protocols``, ``GET /protocols/{id}``,
``GET /protocols/{id}/analyses/{analysisId}``, ``POST|GET /runs``,
``GET|PATCH /runs/{id}``, ``POST /runs/{id}/actions``,
``GET /runs/{id}/commands``. Every request must carry ``Opentrons-Version``.

>>> with serve_fake_robot("OT-2") as server:   # doctest: +SKIP
...     httpx.get(server.base_url + "/health", headers={"Opentrons-Version": "*"})
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import uvicorn
from fastapi import FastAPI, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse

from simulators.fake_robot import FakeRobot, RobotApiError

MIN_API_VERSION = 2


def create_app(robot: FakeRobot) -> FastAPI:
    """Return the FastAPI app serving ``robot``."""
    app = FastAPI(title="fake Opentrons robot server")
    app.middleware("http")(_gate(robot))
    app.add_exception_handler(RobotApiError, _api_error)  # type: ignore[arg-type]
    _health_and_files(app, robot)
    _protocols(app, robot)
    _runs(app, robot)
    return app


def _gate(
    robot: FakeRobot,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    async def gate(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        robot.requests.append((request.method, request.url.path))
        if robot.take_unavailable():
            return _error(503, "RobotUnavailable", "The robot server is busy starting up.")
        version = request.headers.get("Opentrons-Version")
        if version is None:
            return _error(422, "MissingHeader", "Opentrons-Version header is required.")
        if version != "*" and (not version.isdigit() or int(version) < MIN_API_VERSION):
            return _error(
                400, "OutdatedAPIVersion", f"Opentrons-Version must be >= {MIN_API_VERSION}."
            )
        response = await call_next(request)
        response.headers["Opentrons-Version"] = "4"
        response.headers["Opentrons-Min-Version"] = str(MIN_API_VERSION)
        return response

    return gate


def _error(status: int, error_id: str, detail: str) -> JSONResponse:
    return JSONResponse(RobotApiError(status, error_id, detail).body(), status_code=status)


async def _api_error(request: Request, exc: RobotApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status_code)


def _health_and_files(app: FastAPI, robot: FakeRobot) -> None:
    @app.get("/health")
    def health() -> dict[str, Any]:
        return robot.health()

    @app.post("/dataFiles", status_code=201)
    async def upload_data_file(
        file: Annotated[UploadFile, File()], response: Response
    ) -> dict[str, Any]:
        resource, new = robot.add_data_file(file.filename or "", await file.read())
        response.status_code = 201 if new else 200
        return {"data": resource}


def _protocols(app: FastAPI, robot: FakeRobot) -> None:
    @app.post("/protocols", status_code=201)
    async def create_protocol(
        files: Annotated[list[UploadFile], File()],
        response: Response,
        key: Annotated[str | None, Form()] = None,
        run_time_parameter_values: Annotated[
            str | None, Form(alias="runTimeParameterValues")
        ] = None,
        run_time_parameter_files: Annotated[str | None, Form(alias="runTimeParameterFiles")] = None,
    ) -> dict[str, Any]:
        contents = [(f.filename or "", await f.read()) for f in files]
        values = json.loads(run_time_parameter_values or "{}")
        file_ids = json.loads(run_time_parameter_files or "{}")
        protocol, new = robot.add_protocol(contents, key, values, file_ids)
        response.status_code = 201 if new else 200
        return {"data": protocol.resource()}

    @app.get("/protocols")
    def list_protocols() -> dict[str, Any]:
        data = [p.resource() for p in robot.protocols.values()]
        return {"data": data, "meta": {"cursor": 0, "totalLength": len(data)}}

    @app.get("/protocols/{protocol_id}")
    def get_protocol(protocol_id: str) -> dict[str, Any]:
        protocol = robot.protocol(protocol_id)
        runs = [{"id": r, "href": f"/runs/{r}"} for r in protocol.run_ids]
        return {"data": protocol.resource(), "links": {"referencingRuns": runs}}

    @app.get("/protocols/{protocol_id}/analyses/{analysis_id}")
    def get_analysis(protocol_id: str, analysis_id: str) -> dict[str, Any]:
        protocol = robot.protocol(protocol_id)
        analysis = next((a for a in protocol.analyses if a["id"] == analysis_id), None)
        if analysis is None:
            raise RobotApiError(404, "AnalysisNotFound", f"Analysis {analysis_id} not found.")
        return {"data": dict(analysis)}


def _runs(app: FastAPI, robot: FakeRobot) -> None:
    @app.post("/runs", status_code=201)
    def create_run(body: dict[str, Any]) -> dict[str, Any]:
        return {"data": robot.create_run(dict(body.get("data") or {})).resource()}

    @app.get("/runs")
    def list_runs() -> dict[str, Any]:
        data = [r.resource() for r in robot.runs.values()]
        current = next((r.id for r in robot.runs.values() if r.current), None)
        links = {"current": {"href": f"/runs/{current}"}} if current else {}
        return {"data": data, "links": links, "meta": {"cursor": 0, "totalLength": len(data)}}

    @app.get("/runs/{run_id}")
    def get_run(run_id: str) -> dict[str, Any]:
        return {"data": robot.run(run_id).resource()}

    @app.patch("/runs/{run_id}")
    def update_run(run_id: str, body: dict[str, Any]) -> dict[str, Any]:
        run = robot.run(run_id)
        if (body.get("data") or {}).get("current") is False:
            run.current = False
        return {"data": run.resource()}

    @app.post("/runs/{run_id}/actions", status_code=201)
    def create_action(run_id: str, body: dict[str, Any]) -> dict[str, Any]:
        action = str((body.get("data") or {}).get("actionType"))
        return {"data": robot.act(run_id, action)}

    @app.get("/runs/{run_id}/commands")
    def get_commands(run_id: str, cursor: int = 0, pageLength: int = 20) -> dict[str, Any]:  # noqa: N803 - the API's name
        return robot.commands(run_id, cursor, pageLength)


@dataclass
class RobotServer:
    """A fake robot being served: its state, its URL, and a way to pull the plug."""

    robot: FakeRobot
    base_url: str
    _server: uvicorn.Server
    _thread: threading.Thread
    _socket: socket.socket

    def shutdown(self) -> None:
        """Stop serving (a robot that disconnects); idempotent."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()


@contextmanager
def serve_fake_robot(robot_type: str = "OT-2", name: str = "fake-robot") -> Iterator[RobotServer]:
    """Serve a fake robot on 127.0.0.1 (ephemeral port) for the duration of the block."""
    robot = FakeRobot(robot_type, name)
    server = uvicorn.Server(
        uvicorn.Config(create_app(robot), log_level="warning", lifespan="off", access_log=False)
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_started(server, thread)
    served = RobotServer(robot, f"http://127.0.0.1:{port}", server, thread, sock)
    try:
        yield served
    finally:
        served.shutdown()


def _wait_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the fake robot server did not start")
        time.sleep(0.01)
