"""HPLC through its result files: wait for a new report in a folder, read the peak areas.

Chromatography data systems export one report per injection. This backend
snapshots the export folder, optionally triggers the injection (a callable,
e.g. switching the sample valve; the lab wires it), and waits for a file that
was not there before. A report is CSV with a header row and one row per
peak: name, retention time (min) and area, e.g.::

    peak,retention_time_min,area
    dfnb,3.21,15234.7
    ortho,5.42,88120.0

Header names are matched loosely (``name``/``peak``, ``rt``/``retention
time``, ``area``). Concentrations are calibrated linearly:
``<species>_mol_l = area × response factor``; a calibrated species without a
peak is reported as 0 (not detected), peaks nobody calibrated are ignored.

Every injection has an id, the measurement's idempotency key made safe for a
file name (:func:`injection_id`). Before injecting, the backend writes it to
the data system's sample queue (:data:`SAMPLE_QUEUE` in the folder, one id);
a data system that honours the queue names the report after it
(``..._inj-<injection id>.csv``). So a report can be looked up by its injection
id (:meth:`ResultFolderBackend.recall`): after a crash between injection and
report, the experiment is completed from the report once it appears. Reports
are read only up to :data:`MAX_REPORT_BYTES`; a larger file is refused, never
echoed.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from drivers.analyzer import AnalyzerBackend, RawRecord
from drivers.base import DeviceIdentity
from drivers.clock import Clock
from drivers.errors import DeviceProtocolError, DeviceTimeoutError, DeviceUnreachableError
from drivers.settings import DriverSettings, LinkedDevice

log = logging.getLogger(__name__)

SAMPLE_QUEUE = "sample_queue.txt"
"""File in the results folder naming the next injection (written before each injection)."""
MAX_REPORT_BYTES = 1_000_000
"""Largest report read; a bigger file is not a report of one injection."""

_COLUMNS = {
    "name": ("name", "peak", "peak name", "compound", "species"),
    "retention_time_min": ("retention_time_min", "rt", "retention time", "retention time (min)"),
    "area": ("area", "peak area"),
}


@dataclass(frozen=True)
class Peak:
    """One integrated peak."""

    name: str
    retention_time_min: float
    area: float


def parse_report(text: str) -> list[Peak]:
    """Read the peaks of one CSV report.

    Raises:
        ValueError: No header with name and area columns, or a row that is not numbers.
    """
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ValueError("empty report")
    header = [cell.strip().lower() for cell in rows[0]]
    index = {key: _column(header, names) for key, names in _COLUMNS.items()}
    if index["name"] is None or index["area"] is None:
        raise ValueError(f"header {rows[0]} lacks a peak name or area column")
    peaks = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        try:
            peaks.append(_peak(row, index))
        except (ValueError, IndexError) as exc:
            raise ValueError(f"row {number} {row}: {exc}") from exc
    return peaks


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    return next((header.index(n) for n in names if n in header), None)


def _peak(row: list[str], index: Mapping[str, int | None]) -> Peak:
    def cell(key: str) -> str:
        column = index[key]
        return row[column].strip() if column is not None else "nan"

    area = float(cell("area"))
    if not math.isfinite(area) or area < 0:
        raise ValueError(f"area {area} is not a finite non-negative number")
    return Peak(cell("name"), float(cell("retention_time_min")), area)


def concentrations_mol_l(
    peaks: list[Peak], response_factors_mol_l_per_area: Mapping[str, float]
) -> dict[str, float]:
    """Calibrated concentrations ``<species>_mol_l`` of every calibrated species."""
    areas: dict[str, float] = {}
    for peak in peaks:
        areas[peak.name] = areas.get(peak.name, 0.0) + peak.area
    return {
        f"{species}_mol_l": areas.get(species, 0.0) * factor
        for species, factor in response_factors_mol_l_per_area.items()
    }


def injection_id(key: str) -> str:
    """The injection id of a measurement: its idempotency key, safe as part of a file name."""
    return re.sub(r"[^A-Za-z0-9.-]+", "_", key).strip("_") or "injection"


def read_report(path: Path, device: str) -> list[Peak]:
    """Read and parse one report, refusing files larger than :data:`MAX_REPORT_BYTES`.

    Raises:
        DeviceProtocolError: Too large, unreadable, or not a report (the
            message names the file and the problem, never its content).
    """
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise DeviceProtocolError(
                device, f"report {path} is {size} bytes, more than {MAX_REPORT_BYTES}: not read"
            )
        return parse_report(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else str(exc)[:200]
        raise DeviceProtocolError(device, f"cannot read report {path}: {reason}") from exc


Injector = Callable[[str], None]
"""Starts an injection; receives the measurement's idempotency key."""


class ResultFolderBackend(AnalyzerBackend):
    """An analyzer whose results arrive as report files in a folder."""

    def __init__(
        self,
        name: str,
        folder: Path,
        response_factors_mol_l_per_area: Mapping[str, float],
        clock: Clock,
        *,
        timeout_s: float = 1800.0,
        poll_interval_s: float = 2.0,
        pattern: str = "*.csv",
        injector: Injector | None = None,
    ) -> None:
        """Watch ``folder``.

        Args:
            name: Device name, for errors.
            folder: Where the data system writes its reports.
            response_factors_mol_l_per_area: Calibration, per peak name.
            clock: Time source for the wait (scaled in emulated labs).
            timeout_s: Longest wait for a report after injecting.
            poll_interval_s: Wait between looks at the folder.
            pattern: Glob of report files.
            injector: Starts the injection, or None if something else does.
        """
        self.name = name
        self.folder = folder
        self.response_factors = dict(response_factors_mol_l_per_area)
        self.clock = clock
        self.timeout_s = timeout_s
        self.poll_interval_s = poll_interval_s
        self.pattern = pattern
        self.injector = injector
        self._report_of: dict[str, Path] = {}

    def connect(self) -> None:
        """Check the folder exists.

        Raises:
            DeviceUnreachableError: It does not.
        """
        if not self.folder.is_dir():
            raise DeviceUnreachableError(
                self.name, f"results folder {self.folder} does not exist (is the export on?)"
            )

    def identify(self) -> DeviceIdentity:
        """Describe the watched folder."""
        self.connect()
        return DeviceIdentity(
            model="HPLC result-file watcher",
            details={
                "folder": str(self.folder),
                "reports": str(len(self._reports())),
                "calibrated": ", ".join(sorted(self.response_factors)),
            },
        )

    def measure(self, label: str, key: str) -> Mapping[str, float]:
        """Inject (if an injector is wired), wait for the new report and calibrate it.

        Raises:
            DeviceTimeoutError: No new report within ``timeout_s``.
            DeviceProtocolError: The report cannot be read.
        """
        self.connect()
        before = self._reports()
        injection = injection_id(key)
        self._queue(injection)
        log.debug("%s: injecting %s (key %s)", self.name, label, key or "-")
        if self.injector is not None:
            self.injector(key)
        report = self._wait_for_report(before, injection)
        peaks = read_report(report, self.name)
        log.info("%s: %s has %d peak(s) (key %s)", self.name, report.name, len(peaks), key)
        self._report_of[key] = report
        return concentrations_mol_l(peaks, self.response_factors)

    def recall(self, key: str) -> Mapping[str, float] | None:
        """The result of the injection ``key`` from its report, if the report is in the folder.

        Raises:
            DeviceProtocolError: The report is there but cannot be read.
        """
        report = self.report_of(key)
        if report is None:
            return None
        peaks = read_report(report, self.name)
        log.info("%s: recalled %s for key %s", self.name, report.name, key)
        self._report_of[key] = report
        return concentrations_mol_l(peaks, self.response_factors)

    def report_of(self, key: str) -> Path | None:
        """The report named after the injection id of ``key``, if one is in the folder."""
        injection = injection_id(key)
        for path in sorted(self._reports()):
            if _names_injection(path, injection):
                return path
        return None

    def _queue(self, injection: str) -> None:
        """Tell the data system the id of the next injection (written atomically)."""
        queue = self.folder / SAMPLE_QUEUE
        temporary = queue.with_name(queue.name + ".tmp")
        try:
            temporary.write_text(injection + "\n", encoding="utf-8")
            os.replace(temporary, queue)
        except OSError as exc:
            log.warning("%s: cannot write the sample queue %s: %s", self.name, queue, exc)

    def raw_record(self, key: str) -> RawRecord | None:
        """The report file read for the analysis ``key`` (this process's analyses only)."""
        path = self._report_of.get(key)
        try:
            return RawRecord(path.name, path.read_bytes()) if path is not None else None
        except OSError:
            return None

    def _reports(self) -> dict[Path, tuple[int, int]]:
        """Every report now, with (modification time, size) to notice rewrites."""
        reports = {}
        for path in self.folder.glob(self.pattern):
            try:
                stat = path.stat()
            except FileNotFoundError:  # removed while listing
                continue
            if path.is_file():
                reports[path] = (stat.st_mtime_ns, stat.st_size)
        return reports

    def _wait_for_report(self, before: dict[Path, tuple[int, int]], injection: str) -> Path:
        """Return the first new report whose size held still for one poll.

        A report named after ``injection`` is taken first; a new report named
        after another injection is never taken (a data system without a
        sample queue names none, and its new report is taken).
        """
        deadline = self.clock.now_s() + self.timeout_s
        seen: dict[Path, tuple[int, int]] = {}
        while True:
            now = self._reports()
            fresh = [
                path
                for path, signature in sorted(now.items(), key=lambda item: item[1])
                if not (path in before and before[path] == signature)
                and signature[1] > 0
                and seen.get(path) == signature
            ]
            ours = [p for p in fresh if _names_injection(p, injection)]
            for path in ours or [p for p in fresh if not _names_some_injection(p)]:
                return path
            seen = now
            if self.clock.now_s() >= deadline:
                raise DeviceTimeoutError(
                    self.name,
                    f"no new report in {self.folder} ({self.pattern}) within {self.timeout_s:g} s "
                    f"(injection {injection})",
                )
            self.clock.sleep(self.poll_interval_s)


def _names_injection(path: Path, injection: str) -> bool:
    """Whether a report file is named after ``injection`` (``<id>`` or ``..._inj-<id>``)."""
    return path.stem == injection or path.stem.endswith("_inj-" + injection)


def _names_some_injection(path: Path) -> bool:
    """Whether a report file names an injection id (``..._inj-<id>``)."""
    return "_inj-" in path.stem


# ------------------------------------------------------------- lab-file settings
class InjectorSettings(BaseModel):
    """The valve whose switch injects a sample into the HPLC (its contact closure)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    valve: str = Field(description="the name of the valve device")
    inject_position: int = Field(ge=1, description="the valve position that injects")
    load_position: int = Field(ge=1, description="the valve position that loads the loop")
    hold_s: float = Field(default=5.0, ge=0, description="time in the inject position, s")

    @model_validator(mode="after")
    def _check(self) -> InjectorSettings:
        if self.inject_position == self.load_position:
            raise ValueError("inject_position and load_position must differ")
        return self


class HplcFolderSettings(DriverSettings):
    """An HPLC read through its data system's export folder, with its calibration."""

    results_dir: Path = Field(
        description="the folder the data system exports reports to (relative to the lab file)"
    )
    response_factors_mol_l_per_area: dict[str, float] = Field(
        description="the calibration, mol/L per area unit, per peak"
    )
    report_pattern: str = Field(default="*.csv", description="file names of the reports")
    result_timeout_s: float = Field(
        default=1800.0, gt=0, description="longest wait from injection to report, s"
    )
    injector: InjectorSettings | None = Field(
        default=None, description="the valve that injects; without it, injection is manual"
    )

    @field_validator("response_factors_mol_l_per_area")
    @classmethod
    def _factors(cls, factors: dict[str, float]) -> dict[str, float]:
        bad = sorted(k for k, v in factors.items() if not v > 0)
        if bad:
            raise ValueError(f"response factors must be > 0; check {', '.join(bad)}")
        if not factors:
            raise ValueError("give a response factor for at least one peak")
        return factors

    def where(self) -> str | None:
        """The results folder."""
        return str(self.results_dir)

    def resolved(self, base_dir: Path) -> Self:
        """The settings with a relative ``results_dir`` resolved in ``base_dir``."""
        if self.results_dir.is_absolute():
            return self
        return self.model_copy(update={"results_dir": (base_dir / self.results_dir).resolve()})

    def paths(self) -> dict[str, Path]:
        """The results folder."""
        return {"results_dir": self.results_dir}

    def linked_devices(self) -> tuple[LinkedDevice, ...]:
        """The injection valve, if any."""
        if self.injector is None:
            return ()
        highest = max(self.injector.inject_position, self.injector.load_position)
        return (LinkedDevice("injector.valve", self.injector.valve, "valve", highest),)
