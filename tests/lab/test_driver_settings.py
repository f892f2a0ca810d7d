"""Drivers own their settings: a device entry's driver keys are validated by the driver's model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drivers.base import Device
from drivers.hplc_files import HplcFolderSettings
from drivers.new_era import NewEraSettings
from drivers.settings import DriverSettings, NoSettings
from drivers.station import Station
from lab.devices import catalog as driver_catalog
from lab.devices.assembly import build_devices, register_driver
from lab.devices.driver_docs import END, START, document
from lab.devices.driver_keys import LEGACY_DEFAULTS, LEGACY_KEYS
from lab.devices.lab_spec import DeviceSpec, LabSpec
from lab.devices.labfile import load_lab
from lab.running.runner import clock_for
from lab.specs.yamlio import SpecError
from simulators.clock import SimulatedClock
from simulators.route_station import RouteWorldStation
from simulators.route_world import RouteWorld
from tests.conftest import EXAMPLES, ROOT

PUMP = """\
name: bench
devices:
  - name: pump_a
    kind: pump
    driver: new_era
    port: socket://127.0.0.1:7001
    address: 0
    syringe_diameter_mm: 14.57
"""


def refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "lab.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_lab(path)
    return " ".join(str(caught.value).split())


def test_an_unknown_key_names_device_and_key_and_lists_what_the_driver_takes(
    tmp_path: Path,
) -> None:
    message = refusal(tmp_path, PUMP + "    syringe_volume_ml: 10\n")
    assert message.startswith(f"{tmp_path / 'lab.yaml'}:9: devices[0].syringe_volume_ml: ")
    taken = ", ".join(sorted({"name", "kind", "driver", "max_flow_rate_ml_min", "reservoir"}
                             | set(NewEraSettings.model_fields)))  # fmt: skip
    assert f"unknown key 'syringe_volume_ml'; allowed: {taken}" in message
    assert "(the keys of a pump with driver new_era)" in message


def test_a_key_of_another_driver_says_which_driver_takes_it(tmp_path: Path) -> None:
    message = refusal(tmp_path, PUMP + "    results_dir: hplc\n")
    assert "devices[0].results_dir: pump 'pump_a' (driver new_era): 'results_dir' applies " in (
        message
    )
    assert "only to driver 'hplc_folder' (analyzer); remove it, or change the driver" in message
    assert "new_era takes: address, baudrate," in message


def test_a_common_key_of_another_kind_names_the_kinds_that_take_it(tmp_path: Path) -> None:
    message = refusal(tmp_path, PUMP + "    positions: 6\n")
    assert (
        "devices[0].positions: pump 'pump_a' (driver new_era): 'positions' applies only to "
        "valve devices"
    ) in message


def test_a_missing_setting_is_named_with_its_meaning(tmp_path: Path) -> None:
    message = refusal(tmp_path, PUMP.replace("    syringe_diameter_mm: 14.57\n", ""))
    assert (
        f"{tmp_path / 'lab.yaml'}:3: devices[0].syringe_diameter_mm: pump 'pump_a' "
        "(driver new_era) needs 'syringe_diameter_mm': the syringe's inside diameter, mm"
    ) in message


def test_a_nested_unknown_key_lists_the_keys_of_its_section(tmp_path: Path) -> None:
    text = (EXAMPLES / "labs" / "flow_emulated.yaml").read_text()
    message = refusal(tmp_path, text.replace("scale: 10 ", "scal: 10 "))
    assert "devices[3].modbus.scal: unknown key 'scal'; allowed: framing, process_value," in message


def test_every_error_of_one_device_is_reported_at_once(tmp_path: Path) -> None:
    text = PUMP.replace("address: 0", "address: 120").replace("14.57", "-1")
    message = refusal(tmp_path, text + "    max_flow_rate_ml_min: 0\n")
    assert "devices[0].address: pump 'pump_a' (driver new_era): address 120 is outside 0-99" in (
        message
    )
    assert "devices[0].syringe_diameter_mm: pump 'pump_a' (driver new_era): Input should be " in (
        message
    )
    assert "devices[0].max_flow_rate_ml_min: Input should be greater than 0" in message


def test_the_factory_receives_the_validated_settings() -> None:
    lab = load_lab(EXAMPLES / "labs" / "flow_emulated.yaml")
    hplc = lab.device("hplc")
    assert isinstance(hplc.settings, HplcFolderSettings) and hplc.settings.results_dir.is_absolute()
    assert hplc.settings.injector is not None and hplc.settings.injector.valve == "sample_valve"
    assert isinstance(lab.device("reactor_heater").settings, DriverSettings)
    with pytest.raises(ValueError, match=r"pump 'pump_dfnb' \(driver new_era\) has no Hplc"):
        lab.device("pump_dfnb").settings_as(HplcFolderSettings)


def test_a_second_factory_for_one_driver_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(driver_catalog, "_ENTRIES", dict(driver_catalog._ENTRIES))

    def one(spec: DeviceSpec, settings: NoSettings, context: object) -> Device:
        return Station(spec.name, RouteWorldStation(spec.name, RouteWorld(seed=0)))

    def two(spec: DeviceSpec, settings: NoSettings, context: object) -> Device:
        return one(spec, settings, context)

    register_driver("station", "test_world", NoSettings)(one)
    register_driver("station", "test_world", NoSettings)(one)  # the same factory again: fine
    with pytest.raises(ValueError, match="driver 'test_world' of 'station' devices is registered"):
        register_driver("station", "test_world", NoSettings)(two)
    with pytest.raises(ValueError, match="driver 'route_world' of 'station' devices is registered"):
        register_driver("station", "route_world", NoSettings)(two)


def test_a_driver_registered_with_its_model_validates_and_builds(monkeypatch) -> None:
    monkeypatch.setattr(driver_catalog, "_ENTRIES", dict(driver_catalog._ENTRIES))

    class SeededSettings(DriverSettings):
        seed: int = 0

    seen: list[SeededSettings] = []

    @register_driver("station", "seeded_world", SeededSettings, virtual_time=True)
    def _seeded(spec: DeviceSpec, settings: SeededSettings, context: object) -> Device:
        seen.append(settings)
        return Station(spec.name, RouteWorldStation(spec.name, RouteWorld(seed=settings.seed)))

    device = {"name": "w", "kind": "station", "driver": "seeded_world", "seed": 7}
    lab = LabSpec.model_validate({"name": "l", "devices": [device]})
    build_devices(lab, SimulatedClock())
    assert seen == [SeededSettings(seed=7)] and isinstance(clock_for(lab), SimulatedClock)
    with pytest.raises(ValueError, match="unknown key 'sed'; allowed: driver, kind, name, seed"):
        LabSpec.model_validate({"name": "l", "devices": [{**device, "sed": 7}]})


@pytest.mark.parametrize("path", sorted((EXAMPLES / "labs").glob("*.yaml")), ids=lambda p: p.name)
def test_each_shipped_lab_file_loads_and_survives_a_dump(path: Path) -> None:
    lab = load_lab(path)
    assert lab.devices
    dumped = lab.model_dump(mode="json")
    assert all("settings" not in device for device in dumped["devices"])  # flat, as written
    assert LabSpec.model_validate(yaml.safe_load(yaml.safe_dump(dumped))) == lab


def test_a_lab_stored_by_an_earlier_version_still_loads() -> None:
    """Earlier versions stored every device with every key of one schema (None or default)."""
    lab = load_lab(EXAMPLES / "labs" / "flow_emulated.yaml")
    stored = lab.model_dump(mode="json")
    for device in stored["devices"]:
        for key in LEGACY_KEYS:
            device.setdefault(key, LEGACY_DEFAULTS.get(key))
    assert LabSpec.model_validate(stored) == lab
    stored["devices"][0]["results_dir"] = "elsewhere"  # not a default: still refused
    with pytest.raises(ValueError, match="'results_dir' applies only to driver 'hplc_folder'"):
        LabSpec.model_validate(stored)


def test_the_readme_documents_exactly_the_keys_of_each_drivers_model() -> None:
    readme = (ROOT / "README.md").read_text()
    assert START in readme and END in readme
    documented = readme[readme.index(START) : readme.index(END) + len(END)]
    assert documented == document(), "regenerate with: python -m lab.devices.driver_docs"
    for entry in driver_catalog.driver_entries():
        for key in entry.settings.model_fields:
            assert f"| {entry.kind} | `{entry.driver}` | `{key}` |" in documented


def test_a_robot_on_the_http_api_needs_its_url_before_anything_is_built(tmp_path: Path) -> None:
    text = (EXAMPLES / "labs" / "ot2_hte.yaml").read_text()
    http = text.replace("driver: opentrons_simulate", "driver: opentrons_http")
    message = refusal(tmp_path, http)
    assert (
        "devices[0].url: liquid_handler 'ot2' (driver opentrons_http) needs 'url': the robot's "
        "HTTP API: http://<robot-ip>:31950"
    ) in message
