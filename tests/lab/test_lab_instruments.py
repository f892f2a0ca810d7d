"""Lab files with instrument drivers: accepted shapes, clear refusals, device wiring."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drivers.clock import ScaledClock, SystemClock
from drivers.errors import DeviceTimeoutError
from drivers.hplc_files import HplcFolderSettings, ResultFolderBackend
from drivers.modbus_heater import Framing, ModbusHeaterBackend, ModbusHeaterSettings, Table
from drivers.new_era import NewEraPumpBackend, NewEraSettings
from drivers.pump import Pump
from drivers.valve import Valve
from drivers.vici import ViciValveBackend
from lab.devices.assembly import BuildContext, DeviceSet, build_devices, connected, known_drivers
from lab.devices.instruments import valve_injector
from lab.devices.lab_spec import LabSpec
from lab.devices.labfile import load_lab
from lab.running.executor import execute, handled_kinds
from lab.running.runner import clock_for
from lab.specs.yamlio import SpecError
from protocols.protocol import Protocol
from protocols.steps import SwitchValve
from simulators.clock import SimulatedClock
from simulators.valve import SimulatedValve
from tests.conftest import EXAMPLES
from tests.drivers.fakes import scripted_link

BRIEF_SHAPE = """\
name: flow-bench
devices:
  - name: pump_a
    kind: pump
    driver: new_era
    port: socket://127.0.0.1:7001
    address: 0
    syringe_diameter_mm: 14.57
"""


def test_the_minimal_new_era_lab_is_accepted_and_builds(tmp_path: Path) -> None:
    path = tmp_path / "bench.yaml"
    path.write_text(BRIEF_SHAPE)
    lab = load_lab(path)
    (spec,) = lab.devices
    settings = spec.settings_as(NewEraSettings)
    assert (settings.port, settings.address, settings.syringe_diameter_mm) == (
        "socket://127.0.0.1:7001",
        0,
        14.57,
    )
    assert spec.limits().max_flow_rate_ml_min == pytest.approx(8.5, rel=0.01)  # the syringe's
    pump = build_devices(lab, SystemClock()).get("pump_a", Pump)
    assert isinstance(pump.backend, NewEraPumpBackend)
    assert pump.backend.link.port == "socket://127.0.0.1:7001" and not pump.backend.link.is_open
    assert pump.max_flow_rate_ml_min == pytest.approx(8.5, rel=0.01)


def test_every_instrument_driver_is_registered_and_switch_valve_is_handled() -> None:
    registered = known_drivers()
    for pair in [
        ("pump", "new_era"),
        ("valve", "vici"),
        ("valve", "simulated"),
        ("heater", "modbus"),
        ("analyzer", "hplc_folder"),
        ("analyzer", "simulated"),
    ]:
        assert pair in registered
    assert "switch_valve" in handled_kinds()


def test_the_example_emulated_lab_builds_every_backend() -> None:
    lab = load_lab(EXAMPLES / "labs" / "flow_emulated.yaml")
    devices = build_devices(lab, clock_for(lab)).devices
    assert isinstance(devices["sample_valve"].backend, ViciValveBackend)
    heater = devices["reactor_heater"].backend
    assert isinstance(heater, ModbusHeaterBackend) and heater.framing is Framing.TCP
    assert heater.registers.process_value.table is Table.HOLDING
    hplc = devices["hplc"].backend
    assert isinstance(hplc, ResultFolderBackend) and hplc.injector is not None
    assert hplc.folder.is_absolute() and hplc.folder.parts[-3:] == ("runs", "flow-emulated", "hplc")


def test_clock_for_each_kind_of_lab() -> None:
    emulated = load_lab(EXAMPLES / "labs" / "flow_emulated.yaml")
    clock = clock_for(emulated)
    assert isinstance(clock, ScaledClock) and clock.time_scale == 60
    assert isinstance(clock_for(load_lab(EXAMPLES / "labs" / "flow_sim.yaml")), SimulatedClock)
    real = emulated.model_copy(update={"simulation": None})
    assert isinstance(clock_for(real), SystemClock)


def test_modbus_framing_defaults_to_the_port() -> None:
    lab = LabSpec.model_validate(
        yaml.safe_load(
            """
name: l
devices:
  - {name: h1, kind: heater, driver: modbus, port: socket://10.0.0.5:502, address: 1,
     max_temperature_c: 150}
  - {name: h2, kind: heater, driver: modbus, port: /dev/ttyUSB0, address: 2,
     max_temperature_c: 150}
  - {name: h3, kind: heater, driver: modbus, port: socket://10.0.0.6:4001, address: 3,
     max_temperature_c: 150, modbus: {framing: rtu}}
"""
        )
    )
    framings = [d.settings_as(ModbusHeaterSettings).framing() for d in lab.devices]
    assert framings == ["tcp", "rtu", "rtu"]


BAD_EDITS = [
    (
        ("driver: new_era", "driver: new_eraa"),
        "lab.yaml:5: devices[0].driver: pump 'pump_a': no driver 'new_eraa' for a pump; "
        "available: new_era, simulated",
    ),
    (
        ("port: socket://127.0.0.1:7001", "port: sokcet://127.0.0.1:7001"),
        "devices[0].port: device 'pump_a': port 'sokcet://127.0.0.1:7001' has unknown scheme",
    ),
    (
        ("port: socket://127.0.0.1:7001", "port: socket://127.0.0.1"),
        "port 'socket://127.0.0.1': expected socket://host:port, port 1-65535",
    ),
    (
        ("    address: 0\n", ""),
        "pump 'pump_a' (driver new_era) needs 'address': its network address, 0-99",
    ),
    (("address: 0", "address: 100"), "pump 'pump_a' (driver new_era): address 100 is outside 0-99"),
    (("    syringe_diameter_mm: 14.57\n", ""), "needs 'syringe_diameter_mm'"),
    (("address: 0", "adress: 0"), "devices[0].adress: unknown key 'adress'; allowed: address,"),
    (
        ("address: 0", "address: 0\n    modbus: {scale: 10}"),
        "pump 'pump_a' (driver new_era): 'modbus' applies only to driver 'modbus'",
    ),
]


@pytest.mark.parametrize(("edit", "message"), BAD_EDITS)
def test_bad_lab_files_name_the_device_and_field(tmp_path: Path, edit, message) -> None:
    path = tmp_path / "lab.yaml"
    path.write_text(BRIEF_SHAPE.replace(*edit))
    with pytest.raises(SpecError) as error:
        load_lab(path)
    assert message in " ".join(str(error.value).split())


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("valve: sample_valve,", "valve: nothing,"), "injector valve 'nothing' is not a valve"),
        (
            ("inject_position: 2,", "inject_position: 3,"),
            "has 2 positions; the injector uses position 3",
        ),
        (("    positions: 2 ", "    baudrate: 9600 "), "valve 'sample_valve' (driver vici) needs"),
        (("results_dir: ../runs", "results: ../runs"), "unknown key 'results'"),
        (("    results_dir: ../runs/flow-emulated/hplc", "    "), "needs 'results_dir'"),
        (("      ortho: 8.0e-7", "      ortho: -1"), "response factors must be > 0; check ortho"),
        (("address: 1  ", "address: 0  "), "heater 'reactor_heater' (driver modbus): address 0"),
        (("table: holding, address: 2", "table: input, address: 2"), "setpoint must be a holding"),
        (("time_scale: 60 ", "time_scale: 0 "), "simulation.time_scale: Input should be greater"),
    ],
)
def test_bad_emulated_lab_files(tmp_path: Path, edit, message) -> None:
    text = (EXAMPLES / "labs" / "flow_emulated.yaml").read_text()
    assert edit[0] in text
    path = tmp_path / "lab.yaml"
    path.write_text(text.replace(*edit))
    with pytest.raises(SpecError) as error:
        load_lab(path)
    assert message in " ".join(str(error.value).split())


def test_switch_valve_steps_run_through_the_executor() -> None:
    lab = LabSpec.model_validate(
        {
            "name": "valves",
            "simulation": {},
            "devices": [{"name": "v", "kind": "valve", "driver": "simulated", "positions": 6}],
        }
    )
    devices = build_devices(lab, SimulatedClock())
    protocol = Protocol(name="p", steps=(SwitchValve(device="v", position=5),))
    execute(protocol, devices, SimulatedClock(), run_key="c/1")
    valve = devices.get("v", Valve)
    assert valve.current_position == 5
    assert isinstance(valve.backend, SimulatedValve) and valve.backend.moves == [(5, "c/1/1")]


def test_valve_injector_switches_inject_holds_and_returns_to_load() -> None:
    lab = load_lab(EXAMPLES / "labs" / "flow_emulated.yaml")
    clock = SimulatedClock()
    devices = build_devices(lab, clock)
    valve = Valve("sample_valve", SimulatedValve(positions=2), 2)
    devices.devices["sample_valve"] = valve
    context = BuildContext(lab, clock, devices.devices)
    injector = lab.device("hplc").settings_as(HplcFolderSettings).injector
    assert injector is not None
    valve_injector(injector, context)("run/7/5")
    assert isinstance(valve.backend, SimulatedValve)
    assert valve.backend.moves == [(2, "run/7/5/inject"), (1, "run/7/5/load")]
    assert clock.now_s() == injector.hold_s


def test_a_device_that_fails_to_connect_is_closed_again() -> None:
    link, port, _ = scripted_link("pump_a", timeout_s=0.05)
    for _ in range(3):
        port.expect(b"0\r")  # the pump never answers its status query
    port.expect(b"0STP\r")  # the safe state is still attempted
    pump = Pump("pump_a", NewEraPumpBackend("pump_a", link, 0, 14.57), 5.0)
    failing = pytest.raises(DeviceTimeoutError, match="pump_a: no reply to status query")
    with failing, connected(DeviceSet({"pump_a": pump})):
        pass
    assert port.closed and not link.is_open
