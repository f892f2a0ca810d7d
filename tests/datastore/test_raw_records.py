"""The HPLC report of an analysis is kept as a raw instrument record (name and SHA-256)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import select

from datastore import Datastore
from datastore.provenance_models import InstrumentRecord
from drivers.analyzer import Analyzer
from lab.devices.assembly import DeviceSet
from lab.running.provenance_capture import record_analyses
from protocols.protocol import Protocol
from protocols.steps import Measure, Wait
from tests.datastore.test_repository import make_campaign
from tests.drivers.test_hplc_files import REPORT, watcher


def test_the_report_read_for_a_measure_step_is_recorded(store: Datastore, tmp_path: Path) -> None:
    folder = tmp_path / "hplc"
    folder.mkdir()

    def inject(key: str) -> None:
        (folder / f"injection-{key.replace('/', '_')}.csv").write_text(REPORT)

    analyzer = Analyzer("hplc", watcher(folder, inject))
    analyzer.connect()
    protocol = Protocol(name="p", steps=(Wait(seconds=1), Measure(device="hplc", label="outlet")))
    analyzer.measure("outlet", "snar/7/2")  # as the executor keys step 2 of run snar/7
    assert analyzer.raw_record("snar/unknown") is None
    campaign = make_campaign(store)
    with store.session() as session:
        record_analyses(
            session, campaign.id or 0, protocol, "snar/7", DeviceSet({"hplc": analyzer})
        )
    with store.session() as session:
        (record,) = session.exec(select(InstrumentRecord))
    assert record.file_name == "injection-snar_7_2.csv" and record.run_key == "snar/7"
    assert record.sha256 == hashlib.sha256(REPORT.encode()).hexdigest()
    assert record.content == REPORT and record.kind == "analysis_report"
