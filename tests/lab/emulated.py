"""The example emulated lab on free loopback ports, for lab and end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lab.devices.emulation import EmulatedLab, start_emulators
from lab.devices.labfile import load_lab
from tests.conftest import EXAMPLES


@dataclass
class EmulatedFiles:
    """A running emulated lab and the files that use it.

    ``emulated.stop()`` cuts the bench's power, ``emulated.restart()`` restores it.
    """

    lab_path: Path
    campaign_path: Path
    emulated: EmulatedLab
    reports: Path


def emulated_lab_data(reports: Path, time_scale: float) -> dict[str, Any]:
    """The example lab file's data, faster and writing reports to ``reports``."""
    data = yaml.safe_load((EXAMPLES / "labs" / "flow_emulated.yaml").read_text())
    data["simulation"]["time_scale"] = time_scale
    for device in data["devices"]:
        if device["driver"] == "hplc_folder":
            device["results_dir"] = str(reports)
    return data


@contextmanager
def running_emulated_lab(
    tmp_path: Path,
    time_scale: float = 600.0,
    budget: int = 4,
    outage_timeout_s: float = 180.0,
    analysis_time_s: float | None = None,
) -> Iterator[EmulatedFiles]:
    """Start the example lab's emulators on free ports; write a lab and a campaign file for it."""
    reports = tmp_path / "hplc"
    data = emulated_lab_data(reports, time_scale)
    data["outage_timeout_s"] = outage_timeout_s
    if analysis_time_s is not None:
        data["simulation"]["analysis_time_s"] = analysis_time_s
        for device in data["devices"]:
            if device["driver"] == "hplc_folder":
                device["result_timeout_s"] = 2 * analysis_time_s
    lab_path = tmp_path / "lab.yaml"
    lab_path.write_text(yaml.safe_dump(data, sort_keys=False))
    lab = load_lab(lab_path)
    emulated = start_emulators(lab, ports={d.name: 0 for d in lab.devices if d.settings.where()})
    files = EmulatedFiles(lab_path, tmp_path / "campaign.yaml", emulated, reports)
    try:
        bound = {d.name: d.settings.where() for d in emulated.bound_lab().devices}
        for device in data["devices"]:
            if "port" in device:
                device["port"] = bound[device["name"]]
        lab_path.write_text(yaml.safe_dump(data, sort_keys=False))
        campaign = (EXAMPLES / "snar_flow_emulated.yaml").read_text()
        campaign = campaign.replace("lab: labs/flow_emulated.yaml", f"lab: {lab_path.name}")
        campaign = campaign.replace("budget: 8", f"budget: {budget}")
        files.campaign_path.write_text(campaign.replace("name: bo, seed", "name: sobol, seed"))
        yield files
    finally:
        emulated.stop()
