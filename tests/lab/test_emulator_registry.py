"""Emulators are registered by driver: a second one for a driver is refused, a missing one named."""

from __future__ import annotations

import socket

import pytest
import yaml

from drivers.errors import DeviceError
from lab.devices.emulation import start_emulators
from lab.devices.emulator_registry import (
    EmulatedDevice,
    EmulatedLab,
    add_emulator,
    emulated_drivers,
    emulator_of,
    register_emulator,
)
from lab.devices.lab_spec import DeviceSpec, LabSpec
from tests.conftest import EXAMPLES


def _another_pump(spec: DeviceSpec, lab: EmulatedLab, port: int | None) -> EmulatedDevice:
    raise AssertionError("never started: its registration is refused")


def _lab(extra: dict | None = None) -> LabSpec:
    data = yaml.safe_load((EXAMPLES / "labs" / "flow_emulated.yaml").read_text())
    if extra is not None:
        data["devices"].append(extra)
    return LabSpec.model_validate(data)


def test_the_shipped_drivers_register_their_emulators() -> None:
    assert emulated_drivers() == [
        ("analyzer", "hplc_folder"),
        ("heater", "modbus"),
        ("pump", "new_era"),
        ("valve", "vici"),
    ]


def test_a_second_emulator_for_a_driver_is_refused() -> None:
    pump = next(d for d in _lab().devices if d.driver == "new_era")
    shipped = emulator_of(pump)
    with pytest.raises(ValueError, match="'new_era' of 'pump' devices has two emulators") as info:
        register_emulator("pump", "new_era")(_another_pump)
    assert "_another_pump" in str(info.value) and shipped.__qualname__ in str(info.value)
    assert emulator_of(pump) is shipped  # the refused one replaced nothing
    add_emulator("pump", "new_era", shipped)  # the same one again is a no-op
    assert emulator_of(pump) is shipped


def test_an_emulator_for_an_unknown_driver_is_refused() -> None:
    with pytest.raises(ValueError, match="register the driver first"):
        add_emulator("pump", "no_such_driver", _another_pump)
    assert ("pump", "no_such_driver") not in emulated_drivers()


def test_a_driver_without_an_emulator_is_named_with_the_ones_that_have_one() -> None:
    deck = yaml.safe_load((EXAMPLES / "labs" / "ot2_hte.yaml").read_text())["devices"][0]["deck"]
    robot = {
        "name": "ot2",
        "kind": "liquid_handler",
        "driver": "opentrons_http",
        "url": "http://127.0.0.1:9",
        "deck": deck,
    }
    lab = _lab(robot)
    with pytest.raises(DeviceError) as info:
        start_emulators(lab, ports={d.name: 0 for d in lab.devices if d.settings.where()})
    message = str(info.value)
    assert message.startswith("ot2: liquid_handler driver 'opentrons_http' has no emulator")
    assert "new_era (pump)" in message and "vici (valve)" in message
    assert "register_emulator" in message


def _connects(where: str) -> bool:
    host, _, port = where.removeprefix("socket://").rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1.0).close()
    except OSError:
        return False
    return True


def test_a_power_cut_drops_the_bench_and_a_restart_brings_it_back_on_the_same_ports(
    tmp_path,
) -> None:
    data = yaml.safe_load((EXAMPLES / "labs" / "flow_emulated.yaml").read_text())
    for device in data["devices"]:
        if device["driver"] == "hplc_folder":
            device["results_dir"] = str(tmp_path / "hplc")
    lab = LabSpec.model_validate(data)
    emulated = start_emulators(lab, ports={d.name: 0 for d in lab.devices if d.settings.where()})
    try:
        wired = {n: d.where for n, d in emulated.devices.items() if d.server is not None}
        world = emulated.world
        assert emulated.running and wired and all(_connects(w) for w in wired.values())
        emulated.stop()
        assert not emulated.running
        assert not any(_connects(w) for w in wired.values())
        emulated.stop()  # a second cut changes nothing
        emulated.restart()
        assert emulated.running
        assert {n: d.where for n, d in emulated.devices.items() if d.server is not None} == wired
        assert all(_connects(w) for w in wired.values())
        assert emulated.world is not world  # a fresh simulated world
    finally:
        emulated.stop()
