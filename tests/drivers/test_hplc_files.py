"""HPLC result-folder analyzer: report parsing, calibration, waiting for the new report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drivers.analyzer import Analyzer
from drivers.errors import DeviceConnectionError, DeviceProtocolError, DeviceTimeoutError
from drivers.hplc_files import Peak, ResultFolderBackend, concentrations_mol_l, parse_report
from simulators.clock import SimulatedClock

FACTORS = {"dfnb": 1e-6, "ortho": 2e-6}
REPORT = "peak,retention_time_min,area\ndfnb,3.21,100000\northo,5.42,50000\nunknown,6.6,7\n"


def test_parse_report_and_calibrate() -> None:
    peaks = parse_report(REPORT)
    assert peaks[0] == Peak("dfnb", 3.21, 100000.0)
    assert concentrations_mol_l(peaks, {**FACTORS, "bis": 5e-7}) == pytest.approx(
        {"dfnb_mol_l": 0.1, "ortho_mol_l": 0.1, "bis_mol_l": 0.0}
    )


def test_parse_report_accepts_other_header_spellings_and_blank_lines() -> None:
    peaks = parse_report("Name, RT ,Area\n\northo,5.4,10\northo,5.5,5\n")
    assert [p.area for p in peaks] == [10.0, 5.0]
    assert concentrations_mol_l(peaks, {"ortho": 1.0}) == {"ortho_mol_l": 15.0}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty report"),
        ("peak,rt\ndfnb,1.0\n", "lacks a peak name or area"),
        ("peak,rt,area\ndfnb,1.0,lots\n", "row 2"),
        ("peak,rt,area\ndfnb,1.0,-5\n", "non-negative"),
    ],
)
def test_bad_reports(text, message) -> None:
    with pytest.raises(ValueError, match=message):
        parse_report(text)


def watcher(folder: Path, injector=None, timeout_s: float = 60.0) -> ResultFolderBackend:
    return ResultFolderBackend(
        "hplc", folder, FACTORS, SimulatedClock(), timeout_s=timeout_s, injector=injector
    )


def test_measure_injects_and_reads_only_the_new_report(tmp_path: Path) -> None:
    (tmp_path / "old.csv").write_text("peak,rt,area\ndfnb,3.2,999999\n")
    keys: list[str] = []

    def inject(key: str) -> None:
        keys.append(key)
        (tmp_path / "new.csv").write_text(REPORT)

    analyzer = Analyzer("hplc", watcher(tmp_path, inject))
    analyzer.connect()
    assert analyzer.measure("outlet", key="run/5") == pytest.approx(
        {"dfnb_mol_l": 0.1, "ortho_mol_l": 0.1}
    )
    assert keys == ["run/5"]


def test_a_rewritten_report_counts_as_new(tmp_path: Path) -> None:
    report = tmp_path / "latest.csv"
    report.write_text("peak,rt,area\ndfnb,3.2,1\n")
    os.utime(report, ns=(0, 0))

    def inject(key: str) -> None:
        report.write_text(REPORT)

    assert watcher(tmp_path, inject).measure("outlet", "k")["dfnb_mol_l"] == pytest.approx(0.1)


def test_no_report_is_a_timeout_not_a_hang(tmp_path: Path) -> None:
    backend = watcher(tmp_path, timeout_s=600.0)
    with pytest.raises(DeviceTimeoutError, match=r"hplc: no new report in .* within 600 s"):
        backend.measure("outlet", "k")
    assert backend.clock.now_s() >= 600.0


def test_unreadable_report_is_a_protocol_error(tmp_path: Path) -> None:
    def inject(key: str) -> None:
        (tmp_path / "broken.csv").write_text("this is not a report\n")

    with pytest.raises(DeviceProtocolError, match="cannot read report"):
        watcher(tmp_path, inject).measure("outlet", "k")


def test_missing_folder(tmp_path: Path) -> None:
    backend = watcher(tmp_path / "nope")
    with pytest.raises(DeviceConnectionError, match=r"hplc: results folder .* does not exist"):
        backend.connect()


def test_identify_counts_reports(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(REPORT)
    (tmp_path / "notes.txt").write_text("x")
    details = watcher(tmp_path).identify().details
    assert details["reports"] == "1" and details["calibrated"] == "dfnb, ortho"
