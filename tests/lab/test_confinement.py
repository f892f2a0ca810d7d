"""A campaign reaches only its own folder tree (or folders allowed explicitly)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from lab.devices.assembly import build_devices
from lab.running.campaigns import load_campaign
from lab.specs.yamlio import SpecError
from simulators.clock import SimulatedClock
from tests.conftest import EXAMPLES
from tests.lab.test_cli import dbtl


def project(tmp_path: Path) -> Path:
    """A campaign folder holding the SnAr example; its lab copied one level up (outside)."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(EXAMPLES / "labs" / "flow_sim.yaml", tmp_path / "flow_sim.yaml")
    text = (EXAMPLES / "snar_flow.yaml").read_text()
    (folder / "campaign.yaml").write_text(
        text.replace("lab: labs/flow_sim.yaml", "lab: ../flow_sim.yaml")
    )
    return folder


def test_a_lab_outside_the_campaign_folder_is_refused_unless_allowed(tmp_path: Path) -> None:
    folder = project(tmp_path)
    with pytest.raises(SpecError) as caught:
        load_campaign(folder / "campaign.yaml")
    message = str(caught.value)
    assert message.startswith(f"{folder / 'campaign.yaml'}:7: lab '../flow_sim.yaml': ")
    assert f"is outside the campaign's folder {folder.resolve()}" in message
    assert "--allow-path DIR" in message and "\n" not in message
    assert load_campaign(folder / "campaign.yaml", allow_paths=[tmp_path]).lab.name == "flow-sim"


def test_a_symlink_out_of_the_folder_is_followed_and_refused(tmp_path: Path) -> None:
    folder = project(tmp_path)
    (folder / "labs").mkdir()
    (folder / "labs" / "flow_sim.yaml").symlink_to(tmp_path / "flow_sim.yaml")
    text = (folder / "campaign.yaml").read_text().replace("../flow_sim.yaml", "labs/flow_sim.yaml")
    (folder / "campaign.yaml").write_text(text)
    with pytest.raises(SpecError, match=r"flow_sim.yaml is outside the campaign's folder"):
        load_campaign(folder / "campaign.yaml")


def test_passwd_is_no_lab(tmp_path: Path, monkeypatch, capsys) -> None:
    folder = project(tmp_path)
    text = (
        (folder / "campaign.yaml")
        .read_text()
        .replace("../flow_sim.yaml", "../../../../../../etc/passwd")
    )
    (folder / "campaign.yaml").write_text(text)
    db = tmp_path / "x.db"
    code, out = dbtl(
        monkeypatch, capsys, "run", str(folder / "campaign.yaml"), "--db", f"sqlite:///{db}"
    )
    assert code == 2 and "/etc/passwd is outside the campaign's folder" in out
    assert len(out.strip().splitlines()) == 1 and "root:" not in out
    assert not db.exists()


def test_a_results_dir_outside_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    (folder / "labs").mkdir(parents=True)
    lab = yaml.safe_load((EXAMPLES / "labs" / "flow_emulated.yaml").read_text())
    for device in lab["devices"]:
        if device["driver"] == "hplc_folder":
            device["results_dir"] = str(tmp_path / "elsewhere")
    (folder / "labs" / "flow_emulated.yaml").write_text(yaml.safe_dump(lab, sort_keys=False))
    shutil.copy(EXAMPLES / "snar_flow_emulated.yaml", folder / "campaign.yaml")
    with pytest.raises(SpecError) as caught:
        load_campaign(folder / "campaign.yaml")
    assert "flow_emulated.yaml: devices[5].results_dir: " in str(caught.value)
    assert f"{tmp_path / 'elsewhere'} is outside the campaign's folder" in str(caught.value)
    assert load_campaign(folder / "campaign.yaml", allow_paths=[tmp_path / "elsewhere"])


@pytest.mark.parametrize(
    "campaign", sorted(p.name for p in EXAMPLES.glob("*.yaml") if p.name != "route_campaign.yaml")
)
def test_every_shipped_example_loads(campaign: str) -> None:
    assert load_campaign(EXAMPLES / campaign).spec.name


def test_the_suzuki_example_works_copied_anywhere(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "labs").mkdir()
    shutil.copy(EXAMPLES / "suzuki_hte.yaml", tmp_path / "suzuki_hte.yaml")
    shutil.copy(EXAMPLES / "labs" / "ot2_suzuki.yaml", tmp_path / "labs" / "ot2_suzuki.yaml")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = load_campaign(Path("..") / "suzuki_hte.yaml")
    devices = build_devices(loaded.lab, SimulatedClock())  # reads the shipped table
    assert "reader" in devices.devices
