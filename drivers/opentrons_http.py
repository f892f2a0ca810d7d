"""Opentrons HTTP API backend (OT-2 and Flex robot server, port 31950).

One run goes: upload each CSV runtime file (``POST /dataFiles``), upload the
protocol (``POST /protocols``, multipart, with the run's idempotency key as
the protocol ``key``), wait for the robot's analysis and refuse a protocol it
finds faulty, create the run (``POST /runs`` with ``protocolId``,
``runTimeParameterValues`` and ``runTimeParameterFiles``), play it
(``POST /runs/{id}/actions``), poll ``GET /runs/{id}`` until it ends, then read
its commands (``GET /runs/{id}/commands``, paginated).

Idempotency: the robot deduplicates uploads by file names and contents, so
the protocol file is named after a hash of the key. A resumed orchestrator
calling :meth:`run` again with the same key finds the protocol by its
``key`` (``GET /protocols``) and the run made from it
(``links.referencingRuns``), and follows that run instead of starting another.

Only GETs are retried (transport errors and 5xx); every request has a
timeout; every failure is a :class:`DeviceError` naming the device.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePath
from typing import Any

import httpx
from pydantic import Field

from drivers.base import DeviceIdentity
from drivers.clock import Clock, SystemClock
from drivers.errors import DeviceError, DeviceTimeoutError
from drivers.liquid_handler import (
    TERMINAL_STATUSES,
    LiquidHandlerBackend,
    RobotCommand,
    RobotProgram,
    RunReport,
)
from drivers.settings import DriverSettings

API_VERSION_HEADER = "Opentrons-Version"
COMMANDS_PAGE = 200


class OpentronsHttpBackend(LiquidHandlerBackend):
    """Runs programs on an Opentrons robot through its HTTP API."""

    def __init__(
        self,
        device: str,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        poll_interval_s: float = 1.0,
        get_retries: int = 3,
        api_version: str = "4",
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.device = device
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.poll_interval_s = poll_interval_s
        self.get_retries = get_retries
        self.api_version = api_version
        self.clock = clock or SystemClock()
        self.transport = transport
        self.current_run: str | None = None
        self._client: httpx.Client | None = None

    # ------------------------------------------------------------ connection
    def connect(self) -> None:
        """Open the HTTP client and check the robot answers (``GET /health``)."""
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={API_VERSION_HEADER: self.api_version},
            timeout=self.timeout_s,
            transport=self.transport,
        )
        self.identify()

    def disconnect(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def identify(self) -> DeviceIdentity:
        """Ask ``GET /health`` for the robot's name, model and versions."""
        health = self._get("/health")
        return DeviceIdentity(
            model=str(health.get("robot_model", "unknown")),
            firmware=str(health.get("fw_version", "")),
            serial_number=str(health.get("robot_serial", "") or ""),
            details={
                "name": str(health.get("name", "")),
                "api_version": str(health.get("api_version", "")),
            },
        )

    # ------------------------------------------------------------------ runs
    def run(self, program: RobotProgram, key: str, timeout_s: float) -> RunReport:
        """Run ``program`` (or follow the run already started with ``key``) to its end."""
        deadline = self.clock.now_s() + timeout_s
        run_id = self._find_run(key) or self._start(program, key)
        self.current_run = run_id
        try:
            run = self._follow(run_id, deadline)
        finally:
            self.current_run = None
        return self._report(run)

    def recall(self, key: str) -> RunReport | None:
        """Return the run made from the protocol uploaded with ``key``, if any."""
        run_id = self._find_run(key)
        return None if run_id is None else self._report(self._get(f"/runs/{run_id}")["data"])

    def stop(self) -> None:
        """Stop the run this backend is following, if any."""
        if self.current_run is not None:
            self._action(self.current_run, "stop")

    def _start(self, program: RobotProgram, key: str) -> str:
        files = {
            variable: self._upload_data_file(name, content)
            for variable, (name, content) in program.runtime_files.items()
        }
        protocol = self._upload_protocol(program, key, files)
        self._check_analysis(protocol)
        body = {
            "data": {
                "protocolId": protocol["id"],
                "runTimeParameterValues": dict(program.runtime_values),
                "runTimeParameterFiles": files,
            }
        }
        run_id = str(self._post("/runs", json=body)["data"]["id"])
        self._action(run_id, "play")
        return run_id

    def _upload_data_file(self, name: str, content: bytes) -> str:
        answer = self._post("/dataFiles", files={"file": (name, content, "text/csv")})
        return str(answer["data"]["id"])

    def _upload_protocol(
        self, program: RobotProgram, key: str, files: dict[str, str]
    ) -> dict[str, Any]:
        stem = PurePath(program.filename).stem
        filename = f"{stem}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.py"
        form = {
            "key": key,
            "runTimeParameterValues": json.dumps(dict(program.runtime_values)),
            "runTimeParameterFiles": json.dumps(files),
        }
        upload = {"files": (filename, program.text.encode(), "text/x-python")}
        return dict(self._post("/protocols", data=form, files=upload)["data"])

    def _check_analysis(self, protocol: dict[str, Any]) -> None:
        """Wait for the robot's analysis of the upload; a faulty protocol never runs."""
        summaries = protocol.get("analysisSummaries") or []
        if not summaries:
            return
        path = f"/protocols/{protocol['id']}/analyses/{summaries[-1]['id']}"
        deadline = self.clock.now_s() + max(self.timeout_s * 6, 60.0)
        while True:
            analysis = self._get(path)["data"]
            if analysis.get("status") == "completed":
                break
            if self.clock.now_s() >= deadline:
                raise DeviceTimeoutError(self.device, "the robot's protocol analysis did not end")
            self.clock.sleep(self.poll_interval_s)
        if analysis.get("result") != "ok":
            errors = "; ".join(_error_line(e) for e in analysis.get("errors") or [])
            raise DeviceError(
                self.device,
                f"the robot's analysis rejects the protocol ({analysis.get('result')}): "
                f"{errors or 'no detail'}",
            )

    def _find_run(self, key: str) -> str | None:
        protocols = [p for p in self._get("/protocols")["data"] if p.get("key") == key]
        for protocol in reversed(protocols):
            links = self._get(f"/protocols/{protocol['id']}").get("links") or {}
            runs = links.get("referencingRuns") or []
            if runs:
                return str(runs[-1]["id"])
        return None

    def _follow(self, run_id: str, deadline: float) -> dict[str, Any]:
        while True:
            run = dict(self._get(f"/runs/{run_id}")["data"])
            status = str(run.get("status"))
            if status in TERMINAL_STATUSES:
                return run
            if status == "idle":  # created but never played (e.g. crash before play)
                self._action(run_id, "play")
            if self.clock.now_s() >= deadline:
                self._action(run_id, "stop")
                raise DeviceTimeoutError(
                    self.device, f"run {run_id} still {status} at its time limit; stopped it"
                )
            self.clock.sleep(self.poll_interval_s)

    def _action(self, run_id: str, action: str) -> None:
        self._post(f"/runs/{run_id}/actions", json={"data": {"actionType": action}})

    def _report(self, run: dict[str, Any]) -> RunReport:
        run_id = str(run["id"])
        return RunReport(
            run_id=run_id,
            status=str(run.get("status")),
            commands=self._commands(run_id),
            errors=tuple(_error_line(e) for e in run.get("errors") or []),
            labware={
                str(lw["id"]): str(lw.get("displayName") or lw.get("loadName"))
                for lw in run.get("labware") or []
            },
        )

    def _commands(self, run_id: str) -> tuple[RobotCommand, ...]:
        commands: list[RobotCommand] = []
        while True:
            page = self._get(
                f"/runs/{run_id}/commands",
                params={"cursor": len(commands), "pageLength": COMMANDS_PAGE},
            )
            commands += [_command(c) for c in page["data"]]
            total = int(page.get("meta", {}).get("totalLength", len(commands)))
            if not page["data"] or len(commands) >= total:
                return tuple(commands)

    # --------------------------------------------------------------- requests
    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """GET with retries on transport errors and 5xx (GETs are idempotent)."""
        for attempt in range(self.get_retries + 1):
            last = attempt == self.get_retries
            try:
                response = self._http().get(path, params=params)
            except httpx.TransportError as exc:
                if last:
                    raise self._unreachable("GET", path, exc) from None
            else:
                if response.status_code < 500 or last:
                    return self._json("GET", path, response)
            self.clock.sleep(min(0.2 * 2**attempt, 2.0))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _post(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """POST once: a lost answer is recovered through the key, never by resending."""
        try:
            response = self._http().post(path, **kwargs)
        except httpx.TransportError as exc:
            raise self._unreachable("POST", path, exc) from None
        return self._json("POST", path, response)

    def _http(self) -> httpx.Client:
        if self._client is None:
            raise DeviceError(self.device, "not connected")
        return self._client

    def _json(self, method: str, path: str, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise DeviceError(
                self.device,
                f"{method} {path} answered {response.status_code}: {_problem(response)}",
            )
        try:
            body = response.json()
        except ValueError:
            raise DeviceError(self.device, f"{method} {path} answered non-JSON") from None
        if not isinstance(body, dict):
            raise DeviceError(self.device, f"{method} {path} answered {type(body).__name__}")
        return body

    def _unreachable(self, method: str, path: str, exc: httpx.TransportError) -> DeviceError:
        kind = DeviceTimeoutError if isinstance(exc, httpx.TimeoutException) else DeviceError
        return kind(
            self.device,
            f"{method} {self.base_url}{path} failed: {type(exc).__name__}: {exc or 'no detail'}",
        )


def _problem(response: httpx.Response) -> str:
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return response.text[:200] or response.reason_phrase
    parts = [f"{e.get('id', '')} {e.get('detail') or e.get('title', '')}".strip() for e in errors]
    return "; ".join(parts) or response.text[:200]


def _error_line(error: dict[str, Any]) -> str:
    return f"{error.get('errorType', 'error')}: {error.get('detail', '')}"


def _command(data: dict[str, Any]) -> RobotCommand:
    error = data.get("error")
    return RobotCommand(
        command_type=str(data.get("commandType")),
        status=str(data.get("status")),
        params=data.get("params") or {},
        result=data.get("result"),
        error=_error_line(error) if error else None,
    )


class OpentronsHttpSettings(DriverSettings):
    """A robot on the Opentrons HTTP API: its address and how long each request may take."""

    url: str = Field(
        pattern=r"^https?://", description="the robot's HTTP API: http://<robot-ip>:31950"
    )
    timeout_s: float = Field(
        default=2.0, gt=0, description="deadline for each request, s (at least 5 s is used)"
    )
