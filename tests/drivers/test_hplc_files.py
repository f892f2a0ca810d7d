"""HPLC result-folder analyzer: report parsing, calibration, waiting for the new report."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drivers.analyzer import Analyzer
from drivers.errors import DeviceConnectionError, DeviceProtocolError, DeviceTimeoutError
from drivers.hplc_files import (
    MAX_REPORT_BYTES,
    SAMPLE_QUEUE,
    Peak,
    ResultFolderBackend,
    concentrations_mol_l,
    injection_id,
    parse_report,
)
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


def test_the_sample_queue_names_the_injection_and_its_report_is_taken(tmp_path: Path) -> None:
    queued: list[str] = []

    def inject(key: str) -> None:
        queued.append((tmp_path / SAMPLE_QUEUE).read_text().strip())
        (tmp_path / "s_injection_00002_inj-other_run_1.csv").write_text("peak,rt,area\ndfnb,1,7\n")
        (tmp_path / f"s_injection_00003_inj-{injection_id(key)}.csv").write_text(REPORT)

    values = watcher(tmp_path, inject).measure("outlet", "camp/4/7")
    assert queued == ["camp_4_7"] and injection_id("camp/4/7") == "camp_4_7"
    assert values["dfnb_mol_l"] == pytest.approx(0.1)  # never the other injection's report


def test_recall_finds_a_report_by_its_injection_id_after_a_restart(tmp_path: Path) -> None:
    backend = watcher(tmp_path)
    assert backend.recall("camp/2/5") is None  # not (yet) in the folder
    (tmp_path / "s_injection_00001_inj-camp_2_5.csv").write_text(REPORT)
    (tmp_path / "s_injection_00002_inj-camp_3_5.csv").write_text("peak,rt,area\ndfnb,1,7\n")
    analyzer = Analyzer("hplc", watcher(tmp_path))  # a new process: nothing in memory
    assert analyzer.recall("camp/2/5") == pytest.approx({"dfnb_mol_l": 0.1, "ortho_mol_l": 0.1})
    record = analyzer.raw_record("camp/2/5")
    assert record is not None and record.content == REPORT.encode()


def test_an_oversized_or_binary_report_is_refused_in_one_line_without_its_content(
    tmp_path: Path,
) -> None:
    big = tmp_path / "s_injection_00001_inj-k_1.csv"
    big.write_bytes(b"peak,rt,area\n" + b"x" * (MAX_REPORT_BYTES + 1))
    with pytest.raises(DeviceProtocolError, match=r"is \d+ bytes, more than 1000000: not read"):
        watcher(tmp_path).recall("k/1")
    big.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DeviceProtocolError) as caught:
        watcher(tmp_path).recall("k/1")
    message = str(caught.value)
    assert "\n" not in message and "not UTF-8 text" in message and "\\x" not in message
