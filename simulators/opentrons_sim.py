"""Run Opentrons protocols in the Opentrons simulator, runtime parameters included.

``opentrons.simulate.simulate`` cannot be given runtime parameter values or
CSV files; the robot's own analysis can. :func:`simulate_run` drives the same
machinery the robot server uses (protocol reader, a simulating run
orchestrator with virtual pipettes) and returns the Protocol Engine commands,
status and errors, as JSON-ready dicts shaped like the robot's HTTP API.

:class:`OpentronsSimulateBackend` is the dry-run liquid-handler backend built
on it; the fake robot server (:mod:`simulators.fake_robot`) uses it too.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from drivers.base import DeviceIdentity
from drivers.liquid_handler import (
    LiquidHandlerBackend,
    Movement,
    RobotCommand,
    RobotProgram,
    RunReport,
    RuntimeValue,
    liquid_movements,
)

_LOCK = threading.Lock()  # one simulation at a time: the simulator shares hardware state


@dataclass(frozen=True)
class SimulatedRun:
    """Outcome of one simulated run, in the robot's JSON shapes."""

    status: str
    """``succeeded`` or ``failed``."""
    commands: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    runtime_parameters: list[dict[str, Any]] = field(default_factory=list)
    labware: list[dict[str, Any]] = field(default_factory=list)
    """Loaded labware (``id``, ``loadName``, ``displayName``...), as in ``GET /runs/{id}``."""


def simulate_run(
    text: str,
    filename: str,
    runtime_values: Mapping[str, RuntimeValue] | None = None,
    runtime_files: Mapping[str, tuple[str, bytes]] | None = None,
) -> SimulatedRun:
    """Simulate one run of a Python protocol, as the robot would run it.

    Args:
        text: Protocol source.
        filename: Its file name (``.py``).
        runtime_values: Primitive runtime parameter values by variable name.
        runtime_files: CSV runtime parameters: variable name → (file name, content).

    Returns:
        The run's status, commands and errors. A protocol that cannot even be
        loaded (syntax error, bad ``requirements``, failing ``add_parameters``)
        is a failed run with no commands.
    """
    with _LOCK, TemporaryDirectory(prefix="dbtl-ot-") as folder:
        root = Path(folder)
        (root / filename).write_text(text, encoding="utf-8")
        paths = {}
        for variable, (name, content) in (runtime_files or {}).items():
            (root / variable).mkdir()
            paths[variable] = root / variable / name
            paths[variable].write_bytes(content)
        return asyncio.run(_simulate(root / filename, dict(runtime_values or {}), paths))


async def _simulate(
    path: Path, values: dict[str, RuntimeValue], files: dict[str, Path]
) -> SimulatedRun:
    from opentrons.protocol_reader import ProtocolReader
    from opentrons.protocol_runner.create_simulating_orchestrator import (
        create_simulating_orchestrator,
    )
    from opentrons.protocol_runner.run_orchestrator import ParseMode

    try:
        source = await ProtocolReader().read_saved(files=[path], directory=None)
        orchestrator = await create_simulating_orchestrator(
            robot_type=source.robot_type, protocol_config=source.config
        )
        await orchestrator.load(
            source,
            run_time_param_values=values,
            run_time_param_paths=files or None,
            parse_mode=ParseMode.NORMAL,
        )
        result = await orchestrator.run(deck_configuration=[])
    except Exception as exc:  # a protocol that fails to load is a failed run, as on the robot
        return SimulatedRun("failed", [], [_error("ProtocolLoadError", str(exc))])
    summary = result.state_summary
    return SimulatedRun(
        status="succeeded" if str(summary.status.value) == "succeeded" else "failed",
        commands=[c.model_dump(mode="json") for c in result.commands],
        errors=[e.model_dump(mode="json") for e in summary.errors],
        runtime_parameters=[p.model_dump(mode="json") for p in result.parameters],
        labware=[lw.model_dump(mode="json") for lw in summary.labware],
    )


def _error(error_type: str, detail: str) -> dict[str, Any]:
    return {"id": "load", "errorType": error_type, "detail": detail, "errorCode": "4000"}


def commands_from_json(commands: list[dict[str, Any]]) -> tuple[RobotCommand, ...]:
    """Turn Protocol Engine command dicts into :class:`RobotCommand` values."""
    return tuple(
        RobotCommand(
            command_type=str(c["commandType"]),
            status=str(c["status"]),
            params=c.get("params") or {},
            result=c.get("result"),
            error=error_text(c["error"]) if c.get("error") else None,
        )
        for c in commands
    )


def labware_names(labware: list[dict[str, Any]]) -> dict[str, str]:
    """Labware id → display name (or load name), from the robot's labware list."""
    return {str(lw["id"]): str(lw.get("displayName") or lw.get("loadName")) for lw in labware}


def error_text(error: Mapping[str, Any]) -> str:
    """One line from a Protocol Engine error occurrence, wrapped causes included."""
    detail = str(error.get("detail", ""))
    text = f"{error.get('errorType', 'error')}: {detail}"
    causes = [error_text(w) for w in error.get("wrappedErrors") or []]
    return "; ".join([text, *(c for c in causes if c.split(": ", 1)[-1] not in detail)])


class OpentronsSimulateBackend(LiquidHandlerBackend):
    """Dry runs: every program goes through the Opentrons simulator, nothing moves.

    ``on_movements`` is told what each successful run pipetted (e.g. to fill
    a simulated plate that a simulated reader then reads).
    """

    def __init__(self, on_movements: Callable[[list[Movement]], None] | None = None) -> None:
        self.on_movements = on_movements
        self.runs: dict[str, RunReport] = {}

    def identify(self) -> DeviceIdentity:
        """The simulator, by the ``opentrons`` package version."""
        from opentrons import __version__

        return DeviceIdentity(model="opentrons.simulate", firmware=__version__)

    def run(self, program: RobotProgram, key: str, timeout_s: float) -> RunReport:
        """Simulate the program (a key already run returns its report)."""
        if key in self.runs:
            return self.runs[key]
        outcome = simulate_run(
            program.text, program.filename, program.runtime_values, program.runtime_files
        )
        report = RunReport(
            run_id=f"sim-{len(self.runs) + 1}",
            status=outcome.status,
            commands=commands_from_json(outcome.commands),
            errors=tuple(error_text(e) for e in outcome.errors),
            labware=labware_names(outcome.labware),
        )
        self.runs[key] = report
        if report.succeeded and self.on_movements is not None:
            self.on_movements(liquid_movements(report))
        return report

    def recall(self, key: str) -> RunReport | None:
        """The report of a run simulated with ``key``."""
        return self.runs.get(key)

    def stop(self) -> None:
        """A simulation cannot be interrupted; nothing to stop."""
