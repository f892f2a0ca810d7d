"""The robot side of a fake Opentrons robot server: protocols, data files, runs, faults.

:class:`FakeRobot` keeps the resources the HTTP API exposes and really
analyses and runs every uploaded protocol in the Opentrons simulator
(:func:`simulators.opentrons_sim.simulate_run`), runtime parameters and CSV
files included, so commands, statuses and errors are the simulator's own.
Faults can be injected for tests: the next run fails, runs hang until
stopped, or the next requests answer 503. :mod:`simulators.fake_robot_server`
puts it behind the documented endpoints on a loopback port.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from simulators.opentrons_sim import SimulatedRun, simulate_run

ROBOT_MODELS = {"OT-2": "OT-2 Standard", "Flex": "OT-3 Standard"}


class RobotApiError(Exception):
    """An HTTP error answer: status code, error id and detail, as the robot server words them."""

    def __init__(self, status_code: int, error_id: str, detail: str) -> None:
        self.status_code = status_code
        self.error_id = error_id
        self.detail = detail
        super().__init__(f"{status_code} {error_id}: {detail}")

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        return {"errors": [{"id": self.error_id, "title": self.error_id, "detail": self.detail}]}


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class StoredProtocol:
    """An uploaded protocol and its analyses."""

    id: str
    key: str | None
    filename: str
    text: str
    robot_type: str
    content_hash: str
    created_at: str = field(default_factory=_now)
    analyses: list[dict[str, Any]] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)

    def resource(self) -> dict[str, Any]:
        """The protocol as ``GET /protocols/{id}`` shows it."""
        return {
            "id": self.id,
            "createdAt": self.created_at,
            "protocolType": "python",
            "protocolKind": "standard",
            "robotType": self.robot_type,
            "key": self.key,
            "files": [{"name": self.filename, "role": "main"}],
            "metadata": {},
            "analysisSummaries": [{"id": a["id"], "status": a["status"]} for a in self.analyses],
        }


@dataclass
class StoredRun:
    """A run and what the simulator made of it."""

    id: str
    protocol: StoredProtocol
    values: dict[str, Any]
    files: dict[str, tuple[str, bytes]]
    status: str = "idle"
    current: bool = True
    created_at: str = field(default_factory=_now)
    actions: list[dict[str, Any]] = field(default_factory=list)
    outcome: SimulatedRun | None = None
    stop_requested: threading.Event = field(default_factory=threading.Event)

    def resource(self) -> dict[str, Any]:
        """The run as ``GET /runs/{id}`` shows it."""
        outcome = self.outcome
        return {
            "id": self.id,
            "ok": True,
            "createdAt": self.created_at,
            "status": self.status,
            "current": self.current,
            "protocolId": self.protocol.id,
            "actions": self.actions,
            "errors": outcome.errors if outcome else [],
            "labware": outcome.labware if outcome else [],
            "pipettes": [],
            "modules": [],
            "liquids": [],
            "labwareOffsets": [],
            "runTimeParameters": outcome.runtime_parameters if outcome else [],
        }


class FakeRobot:
    """An Opentrons robot's resources and run engine, simulated."""

    def __init__(self, robot_type: str = "OT-2", name: str = "fake-robot") -> None:
        if robot_type not in ROBOT_MODELS:
            raise ValueError(f"robot_type must be one of {', '.join(ROBOT_MODELS)}")
        self.robot_type = robot_type
        self.name = name
        self.protocols: dict[str, StoredProtocol] = {}
        self.data_files: dict[str, tuple[str, bytes]] = {}
        self.runs: dict[str, StoredRun] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._fail_next: str | None = None
        self._hang = False
        self._unavailable = 0

    # ------------------------------------------------------------ faults
    def fail_next_run(self, detail: str = "pipette overpressure detected") -> None:
        """Make the next run fail halfway, as a hardware error would."""
        self._fail_next = detail

    def hang_runs(self, hang: bool = True) -> None:
        """Keep runs ``running`` until a stop action (for timeout tests)."""
        self._hang = hang

    def unavailable_for(self, requests: int) -> None:
        """Answer the next ``requests`` requests with 503."""
        self._unavailable = requests

    def take_unavailable(self) -> bool:
        """Whether this request must get a 503 (consumes one)."""
        with self._lock:
            if self._unavailable > 0:
                self._unavailable -= 1
                return True
            return False

    # ------------------------------------------------------------ health
    def health(self) -> dict[str, Any]:
        """What ``GET /health`` answers."""
        from opentrons import __version__

        return {
            "name": self.name,
            "robot_model": ROBOT_MODELS[self.robot_type],
            "api_version": __version__,
            "fw_version": "simulated",
            "robot_serial": f"FAKE-{self.robot_type}",
            "protocol_api_version": [2, 20],
        }

    # --------------------------------------------------------- data files
    def add_data_file(self, name: str, content: bytes) -> tuple[dict[str, Any], bool]:
        """Store a CSV file; return its resource and whether it is new (same content: same id)."""
        if not name.endswith(".csv"):
            raise RobotApiError(422, "UnexpectedFileFormat", "Only CSV file format is accepted.")
        file_id = hashlib.sha256(name.encode() + b"\0" + content).hexdigest()[:16]
        with self._lock:
            new = file_id not in self.data_files
            self.data_files[file_id] = (name, content)
        return {"id": file_id, "name": name, "createdAt": _now(), "source": "uploaded"}, new

    # ---------------------------------------------------------- protocols
    def add_protocol(
        self,
        files: list[tuple[str, bytes]],
        key: str | None,
        values: dict[str, Any],
        file_ids: dict[str, str],
    ) -> tuple[StoredProtocol, bool]:
        """Store an uploaded protocol (deduplicated by names and contents) and analyse it."""
        main = _main_file(files)
        content_hash = hashlib.md5(
            b"".join(n.encode() + c for n, c in sorted(files)), usedforsecurity=False
        ).hexdigest()
        with self._lock:
            existing = next(
                (p for p in self.protocols.values() if p.content_hash == content_hash), None
            )
            if existing is not None:
                return existing, False
        robot_type = _robot_type_of(main)
        if robot_type != self.robot_type:
            raise RobotApiError(
                422,
                "ProtocolRobotTypeMismatch",
                f"This protocol is for {robot_type} robots; this robot is an {self.robot_type}.",
            )
        protocol = StoredProtocol(
            str(uuid.uuid4()), key, main[0], main[1].decode(), robot_type, content_hash
        )
        self._analyse(protocol, values, self._files(file_ids))
        with self._lock:
            self.protocols[protocol.id] = protocol
        return protocol, True

    def _analyse(
        self, protocol: StoredProtocol, values: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> None:
        analysis: dict[str, Any] = {"id": str(uuid.uuid4()), "status": "pending"}
        protocol.analyses.append(analysis)

        def work() -> None:
            outcome = simulate_run(protocol.text, protocol.filename, values, files)
            analysis.update(
                status="completed",
                result="ok" if outcome.status == "succeeded" else "not-ok",
                errors=outcome.errors,
                commands=outcome.commands,
                runTimeParameters=outcome.runtime_parameters,
            )

        threading.Thread(target=work, daemon=True, name=f"analysis-{protocol.id}").start()

    def protocol(self, protocol_id: str) -> StoredProtocol:
        """Return a stored protocol (404 if unknown)."""
        found = self.protocols.get(protocol_id)
        if found is None:
            raise RobotApiError(404, "ProtocolNotFound", f"Protocol {protocol_id} not found.")
        return found

    def _files(self, file_ids: dict[str, str]) -> dict[str, tuple[str, bytes]]:
        missing = [f for f in file_ids.values() if f not in self.data_files]
        if missing:
            raise RobotApiError(422, "FileIdNotFound", f"Data file(s) {missing} not found.")
        return {variable: self.data_files[f] for variable, f in file_ids.items()}

    # --------------------------------------------------------------- runs
    def create_run(self, data: dict[str, Any]) -> StoredRun:
        """Create a run of an uploaded protocol (409 while another run is active)."""
        protocol = self.protocol(str(data.get("protocolId")))
        files = self._files(dict(data.get("runTimeParameterFiles") or {}))
        with self._lock:
            active = [r for r in self.runs.values() if r.current and r.status not in _DONE]
            if active:
                raise RobotApiError(
                    409, "RunAlreadyActive", f"Run {active[0].id} is active; stop it first."
                )
            for run in self.runs.values():
                run.current = False
            run = StoredRun(
                str(uuid.uuid4()), protocol, dict(data.get("runTimeParameterValues") or {}), files
            )
            self.runs[run.id] = run
            protocol.run_ids.append(run.id)
        return run

    def run(self, run_id: str) -> StoredRun:
        """Return a run (404 if unknown)."""
        found = self.runs.get(run_id)
        if found is None:
            raise RobotApiError(404, "RunNotFound", f"Run {run_id} was not found.")
        return found

    def act(self, run_id: str, action: str) -> dict[str, Any]:
        """Apply ``play`` or ``stop`` to a run."""
        run = self.run(run_id)
        with self._lock:
            if run.status in _DONE or action not in ("play", "stop"):
                raise RobotApiError(
                    409, "RunActionNotAllowed", f"Cannot {action} run {run_id} ({run.status})."
                )
            record = {"id": str(uuid.uuid4()), "createdAt": _now(), "actionType": action}
            run.actions.append(record)
            if action == "stop":
                run.stop_requested.set()
                run.status = "stopped" if run.status == "idle" else "stop-requested"
            elif run.status == "idle":
                run.status = "running"
                threading.Thread(target=self._execute, args=(run,), daemon=True).start()
        return record

    def _execute(self, run: StoredRun) -> None:
        protocol = run.protocol
        outcome = simulate_run(protocol.text, protocol.filename, run.values, run.files)
        if self._hang:
            run.stop_requested.wait(timeout=600)
        with self._lock:
            failure, self._fail_next = self._fail_next, None
            if failure is not None and outcome.status == "succeeded":
                outcome = _failed_halfway(outcome, failure)
            run.outcome = outcome
            run.status = "stopped" if run.stop_requested.is_set() else outcome.status

    def commands(self, run_id: str, cursor: int, length: int) -> dict[str, Any]:
        """A page of the run's commands, as ``GET /runs/{id}/commands`` answers."""
        run = self.run(run_id)
        commands = run.outcome.commands if run.outcome else []
        page = commands[cursor : cursor + length]
        return {"data": page, "meta": {"cursor": cursor, "totalLength": len(commands)}, "links": {}}


_DONE = frozenset({"succeeded", "failed", "stopped"})


def _main_file(files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    python = [f for f in files if f[0].endswith(".py")]
    if len(python) != 1:
        raise RobotApiError(
            422, "ProtocolFilesInvalid", "Upload exactly one Python protocol file (.py)."
        )
    return python[0]


def _robot_type_of(main: tuple[str, bytes]) -> str:
    from opentrons.protocols.parse import parse

    try:
        parsed = parse(main[1], main[0])
    except Exception as exc:  # the parser raises many kinds; all mean "invalid file"
        raise RobotApiError(422, "ProtocolFilesInvalid", str(exc)) from None
    return "Flex" if parsed.robot_type == "OT-3 Standard" else "OT-2"


def _failed_halfway(outcome: SimulatedRun, detail: str) -> SimulatedRun:
    cut = max(1, len(outcome.commands) // 2)
    commands = [dict(c) for c in outcome.commands[:cut]]
    error = {
        "id": str(uuid.uuid4()),
        "createdAt": _now(),
        "errorType": "PipetteOverpressureError",
        "errorCode": "3006",
        "detail": detail,
        "errorInfo": {},
        "wrappedErrors": [],
    }
    commands[-1].update(status="failed", error=error)
    return SimulatedRun("failed", commands, [error], outcome.runtime_parameters, outcome.labware)
