import pytest

from simulators.clock import SimulatedClock
from simulators.flow_reactor import SimulatedFlowReactor, Stock, _tanks_in_series_response
from simulators.snar import outlet_concentrations


def world(noise: float = 0.0) -> tuple[SimulatedFlowReactor, SimulatedClock, dict]:
    clock = SimulatedClock()
    reactor = SimulatedFlowReactor(
        clock, reactor_volume_ml=5.0, noise_relative_sd=noise, ramp_c_per_min=10.0
    )
    pumps = {
        "a": reactor.add_pump("a", Stock("dfnb", 1.0)),
        "b": reactor.add_pump("b", Stock("pyrrolidine", 6.0)),
        "s": reactor.add_pump("s", Stock(None)),
    }
    return reactor, clock, pumps


def run_at(reactor, pumps, flows: dict[str, float]) -> None:
    for name, flow in flows.items():
        pumps[name].set_flow_rate(flow, key=f"set-{name}")


def test_steady_state_matches_the_kinetic_model() -> None:
    reactor, clock, pumps = world()
    reactor.set_setpoint(60.0, "heat")
    clock.sleep(10 * 60)
    run_at(reactor, pumps, {"a": 2.0, "b": 1.0, "s": 2.0})  # total 5 mL/min -> tau 1 min
    clock.sleep(5 * 60)
    sample = reactor.sample("s1")
    expected = outlet_concentrations(1.0, (0.4, 1.2), 60.0)
    assert sample["ortho_mol_l"] == pytest.approx(expected[2], rel=1e-6)


def test_sampling_too_early_measures_the_old_state() -> None:
    reactor, clock, pumps = world()
    reactor.set_setpoint(60.0, "heat")
    clock.sleep(10 * 60)
    run_at(reactor, pumps, {"a": 2.0, "b": 1.0, "s": 2.0})
    early = reactor.sample("early")["ortho_mol_l"]
    clock.sleep(0.5 * 60)  # half a reactor volume
    half = reactor.sample("half")["ortho_mol_l"]
    clock.sleep(5 * 60)
    steady = reactor.sample("steady")["ortho_mol_l"]
    assert early == 0.0 and 0.0 < half < steady


def test_heater_ramps_at_its_rate() -> None:
    reactor, clock, _ = world()
    reactor.set_setpoint(85.0, "heat")  # from 25 °C at 10 °C/min
    clock.sleep(3 * 60)
    assert reactor.temperature_c() == pytest.approx(55.0)
    clock.sleep(10 * 60)
    assert reactor.temperature_c() == 85.0


def test_noise_is_reproducible_per_key() -> None:
    reactor, clock, pumps = world(noise=0.05)
    reactor.set_setpoint(60.0, "heat")
    clock.sleep(600)
    run_at(reactor, pumps, {"a": 2.0, "b": 1.0, "s": 2.0})
    clock.sleep(600)
    assert reactor.sample("k1") == reactor.sample("k1")
    assert reactor.sample("k1") != reactor.sample("k2")


def test_tanks_in_series_response_is_a_cdf() -> None:
    assert _tanks_in_series_response(0.0, 10) == 0.0
    values = [_tanks_in_series_response(v, 10) for v in (0.5, 1.0, 2.0, 3.0)]
    assert values == sorted(values)
    assert values[-1] > 0.9999
