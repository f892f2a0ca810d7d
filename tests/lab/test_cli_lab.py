"""``dbtl lab check`` and ``dbtl lab emulate``: happy paths, failing devices, bad lab files."""

from __future__ import annotations

import re
import socket
import threading
from pathlib import Path

import pytest
import yaml

from lab.running.outages import OUTAGE_EXIT_CODE
from tests.conftest import EXAMPLES
from tests.lab.emulated import emulated_lab_data, running_emulated_lab
from tests.lab.test_cli import dbtl


def test_help_lists_the_lab_commands(monkeypatch, capsys) -> None:
    code, out = dbtl(monkeypatch, capsys, "lab", "--help")
    assert code == 0 and "check" in out and "emulate" in out


def test_check_reports_every_device(tmp_path: Path, monkeypatch, capsys) -> None:
    with running_emulated_lab(tmp_path) as lab:
        code, out = dbtl(monkeypatch, capsys, "lab", "check", str(lab.lab_path))
    assert code == 0, out
    for expected in (
        "pump_dfnb",
        "NE1000 3.928",
        "Modbus TCP temperature controller",
        "25.0 °C",
        "VICI universal actuator",
        "position 1 of 2",
        "HPLC result-file watcher",
        "all 6 device(s) answered",
    ):
        assert expected in out, expected
    assert "Traceback" not in out


def test_check_names_every_device_that_failed(tmp_path: Path, monkeypatch, capsys) -> None:
    with running_emulated_lab(tmp_path) as lab:
        lab.emulated.devices["pump_ethanol"].stop()
        lab.emulated.devices["reactor_heater"].stop()
        code, out = dbtl(monkeypatch, capsys, "lab", "check", str(lab.lab_path))
    assert code == 1
    assert "failed: pump_ethanol, reactor_heater" in " ".join(out.split())
    assert "pump_ethanol: cannot open port socket://127.0.0.1:" in out
    assert "reactor_heater: cannot open port socket://127.0.0.1:" in out
    assert "Traceback" not in out


def test_check_changes_nothing_on_the_devices(tmp_path: Path, monkeypatch, capsys) -> None:
    with running_emulated_lab(tmp_path) as lab:
        assert dbtl(monkeypatch, capsys, "lab", "check", str(lab.lab_path))[0] == 0
        pump = lab.emulated.devices["pump_dfnb"].emulator
        assert all(c in ("", "VER", "DIA", "RAT") for c in pump.commands), pump.commands
        assert lab.emulated.world.total_flow_ml_min() == 0.0


def test_check_works_on_the_simulated_lab(monkeypatch, capsys) -> None:
    code, out = dbtl(monkeypatch, capsys, "lab", "check", str(EXAMPLES / "labs" / "flow_sim.yaml"))
    assert code == 0 and "simulated HPLC" in out


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("driver: vici", "driver: vicii"), "valve 'sample_valve': no driver 'vicii' for a valve"),
        (("socket://127.0.0.1:7002", "socket//127.0.0.1:7002"), None),
        (("socket://127.0.0.1:7002", "tcp://127.0.0.1:7002"), "has unknown scheme 'tcp'"),
        (("address: 1  ", "address: 300  "), "heater 'reactor_heater' (driver modbus): address"),
    ],
)
def test_bad_lab_files_exit_2_without_traceback(
    tmp_path: Path, monkeypatch, capsys, edit, message
) -> None:
    text = (EXAMPLES / "labs" / "flow_emulated.yaml").read_text().replace(*edit)
    path = tmp_path / "lab.yaml"  # nothing listens on its ports
    path.write_text(re.sub(r"127\.0\.0\.1:70\d\d", lambda _: f"127.0.0.1:{free_port()}", text))
    code, out = dbtl(monkeypatch, capsys, "lab", "check", str(path))
    if message is None:  # a path-like port is legal in the file; opening it fails
        assert code == 1 and "pump_pyrrolidine" in out and "cannot open port" in out
    else:
        assert code == 2 and message in " ".join(out.split())
        assert "lab.yaml:" in out
    assert "Traceback" not in out


def test_run_refuses_a_campaign_whose_lab_names_an_unknown_driver(
    examples: Path, monkeypatch, capsys, tmp_path: Path
) -> None:
    lab = examples / "labs" / "flow_emulated.yaml"
    lab.write_text(lab.read_text().replace("driver: modbus", "driver: modbuss"))
    code, out = dbtl(
        monkeypatch,
        capsys,
        "run",
        str(examples / "snar_flow_emulated.yaml"),
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert code == 2
    assert "heater 'reactor_heater': no driver 'modbuss' for a heater" in out
    assert "Traceback" not in out


def test_run_with_no_emulators_waits_the_outage_out_then_fails_naming_the_device(
    examples: Path, monkeypatch, capsys, tmp_path: Path
) -> None:
    data = emulated_lab_data(examples / "hplc", 600.0)
    data["outage_timeout_s"] = 0.5
    for device in data["devices"]:
        if "port" in device:
            device["port"] = f"socket://127.0.0.1:{free_port()}"
    (examples / "labs" / "flow_emulated.yaml").write_text(yaml.safe_dump(data))
    code, out = dbtl(
        monkeypatch,
        capsys,
        "run",
        str(examples / "snar_flow_emulated.yaml"),
        "--db",
        f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert code == OUTAGE_EXIT_CODE
    assert "pump_dfnb not answering (pump_dfnb: cannot open port socket://127.0.0.1:" in out
    assert "device outage: pump_dfnb: did not answer for 0.5 s" in out
    assert "Traceback" not in out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_emulate_serves_the_lab_until_the_duration_ends(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    data = emulated_lab_data(tmp_path / "hplc", 60.0)
    for device in data["devices"]:
        if "port" in device:
            device["port"] = f"socket://127.0.0.1:{free_port()}"
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(data))
    pump_port = int(data["devices"][0]["port"].rsplit(":", 1)[1])
    answered = threading.Event()

    def probe() -> None:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", pump_port), timeout=1) as client:
                    client.sendall(b"0VER\r")
                    if client.recv(64) == b"\x0200SNE1000V3.928\x03":
                        answered.set()
                        return
            except OSError:
                threading.Event().wait(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    code, out = dbtl(monkeypatch, capsys, "lab", "emulate", str(path), "--duration", "1.5")
    prober.join()
    assert code == 0, out
    assert answered.is_set()
    assert "NE-1000 RS-232" in out and "Modbus TCP" in out and "60× faster" in out
    with pytest.raises(OSError):  # every port closed again
        socket.create_connection(("127.0.0.1", pump_port), timeout=1)


def test_emulate_a_port_in_use_is_a_clear_error(tmp_path: Path, monkeypatch, capsys) -> None:
    data = emulated_lab_data(tmp_path / "hplc", 60.0)
    with socket.create_server(("127.0.0.1", 0)) as busy:
        for device in data["devices"]:
            if "port" in device:
                device["port"] = f"socket://127.0.0.1:{busy.getsockname()[1]}"
        path = tmp_path / "lab.yaml"
        path.write_text(yaml.safe_dump(data))
        code, out = dbtl(monkeypatch, capsys, "lab", "emulate", str(path), "--duration", "0")
    assert code == 2
    assert "error: pump_dfnb: cannot listen on 127.0.0.1:" in out and "Traceback" not in out


def test_emulate_needs_the_simulation_sections(tmp_path: Path, monkeypatch, capsys) -> None:
    data = emulated_lab_data(tmp_path / "hplc", 60.0)
    del data["reactor"]
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(data))
    code, out = dbtl(monkeypatch, capsys, "lab", "emulate", str(path), "--duration", "0")
    assert code == 2 and "need the lab's 'simulation' and 'reactor' sections" in out


def test_check_flags_every_setting_that_differs_from_the_file(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    with running_emulated_lab(tmp_path) as lab:
        lab.emulated.devices["pump_ethanol"].emulator.diameter_mm = 14.57  # the file: 26.59
        lab.emulated.devices["pump_dfnb"].emulator.diameter_mm = 26.59  # the file: 14.57
        code, out = dbtl(monkeypatch, capsys, "lab", "check", str(lab.lab_path))
    flat = " ".join(out.split())
    assert code == 1, out
    assert (
        "pump_ethanol: syringe_diameter_mm is 14.57 on the device but 26.59 in the lab file" in flat
    )
    assert "pump_dfnb: syringe_diameter_mm is 26.59 on the device but 14.57 in the lab file" in flat
    assert "failed: pump_dfnb, pump_ethanol" in flat
    assert "pump_pyrrolidine:" not in flat
