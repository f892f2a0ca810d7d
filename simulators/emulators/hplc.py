"""An HPLC and its data system: an injection becomes a CSV report in a folder, a run later.

:meth:`HplcEmulator.inject` samples an :class:`~drivers.analyzer.AnalyzerBackend`
(e.g. the simulated reactor's outlet) at the moment of injection and, after
``run_time_s`` on the emulator's clock, writes one report with a peak per
calibrated species: area = concentration / response factor, at a fixed
retention time. Reports are written under a temporary name and renamed, as
careful data systems do, so a watcher never reads half a file. Injections
come from whatever plays the injection contact: in an emulated lab, the
sample valve reaching its inject position.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from drivers.analyzer import AnalyzerBackend
from drivers.clock import Clock
from drivers.hplc_files import SAMPLE_QUEUE

log = logging.getLogger(__name__)

DEFAULT_RETENTION_TIMES_MIN = {
    "pyrrolidine": 1.12,
    "dfnb": 3.21,
    "ortho": 5.42,
    "para": 6.05,
    "bis": 7.83,
}


class HplcEmulator:
    """Turns injections into report files (see the module docstring)."""

    def __init__(
        self,
        sampler: AnalyzerBackend,
        folder: Path,
        response_factors_mol_l_per_area: Mapping[str, float],
        clock: Clock,
        run_time_s: float = 120.0,
        retention_times_min: Mapping[str, float] | None = None,
        lock: threading.RLock | None = None,
    ) -> None:
        self.sampler = sampler
        self.folder = folder
        self.response_factors = dict(response_factors_mol_l_per_area)
        self.clock = clock
        self.run_time_s = run_time_s
        self.retention_times_min = dict(retention_times_min or DEFAULT_RETENTION_TIMES_MIN)
        self.lock = lock or threading.RLock()
        self.injections = 0
        self.injection_ids: list[str] = []
        self.drop_reports = 0
        """Reports still to lose (their runs end without a file, as a crashed export would)."""
        self.session = time.strftime("%Y%m%d-%H%M%S")
        self._runs: list[threading.Thread] = []
        self._stopped = threading.Event()

    def start(self) -> HplcEmulator:
        """Create the report folder; return self."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def stop(self) -> None:
        """Abandon runs in progress (their reports are never written)."""
        self._stopped.set()
        for run in self._runs:
            run.join(timeout=2.0)

    def inject(self, key: str = "") -> None:
        """Sample now; the report appears ``run_time_s`` later.

        The injection takes the id waiting in the sample queue (if any; the
        queue is then emptied) and its report is named after it.
        """
        with self.lock:
            self.injections += 1
            number = self.injections
            sample = self.sampler.measure("outlet", key or f"hplc:injection:{number}")
            injection = self._take_queued()
            self.injection_ids.append(injection)
        run = threading.Thread(
            target=self._run,
            args=(number, dict(sample), injection),
            name=f"hplc-run-{number}",
            daemon=True,
        )
        self._runs = [r for r in self._runs if r.is_alive()] + [run]
        run.start()

    def _take_queued(self) -> str:
        """The injection id in the sample queue ("" if none), removing it."""
        queue = self.folder / SAMPLE_QUEUE
        try:
            injection = queue.read_text(encoding="utf-8").strip()
            queue.unlink()
        except OSError:
            return ""
        return injection

    def _run(self, number: int, sample: dict[str, float], injection: str) -> None:
        remaining = self.run_time_s
        while remaining > 0 and not self._stopped.is_set():  # sleep in slices to stop promptly
            step = min(remaining, 5.0)
            self.clock.sleep(step)
            remaining -= step
        with self.lock:
            lost = self.drop_reports > 0
            self.drop_reports -= 1 if lost else 0
        if not self._stopped.is_set() and not lost:
            self._write(number, sample, injection)

    def report(self, sample: Mapping[str, float]) -> str:
        """The CSV text of one report for ``sample`` (``<species>_mol_l`` values)."""
        lines = ["peak,retention_time_min,area"]
        peaks = sorted(
            (self.retention_times_min.get(species, 9.99), species, factor)
            for species, factor in self.response_factors.items()
        )
        for retention_min, species, factor in peaks:
            area = sample.get(f"{species}_mol_l", 0.0) / factor
            if area > 0:
                lines.append(f"{species},{retention_min:.2f},{area:.10g}")
        return "\n".join(lines) + "\n"

    def _write(self, number: int, sample: dict[str, float], injection: str) -> None:
        named = f"_inj-{injection}" if injection else ""
        target = self.folder / f"{self.session}_injection_{number:05d}{named}.csv"
        temporary = target.with_suffix(".tmp")
        temporary.write_text(self.report(sample), encoding="utf-8")
        os.replace(temporary, target)
        log.info("HPLC report %s written", target)
