import pytest

from protocols.errors import ProtocolError, ProtocolValidationError
from protocols.flow import Feed, FlowConditions, FlowSetup, build_flow_protocol, flow_rates_ml_min
from protocols.reaction_metrics import Readout, flow_metrics, metric_names
from protocols.steps import Measure, SetFlowRate, SetTemperature, WaitSteadyState
from protocols.validation import DeviceLimits, check_protocol, violations

SETUP = FlowSetup(
    reactor_volume_ml=5.0,
    feeds=(
        Feed(pump="pa", species="dfnb", stock_mol_l=1.0),
        Feed(pump="pb", species="pyrrolidine", stock_mol_l=6.0),
    ),
    solvent_pump="ps",
    heater="heat",
    analyzer="hplc",
    limiting_species="dfnb",
    reagent_species="pyrrolidine",
)
LIMITS = {
    "pa": DeviceLimits(kind="pump", max_flow_rate_ml_min=10),
    "pb": DeviceLimits(kind="pump", max_flow_rate_ml_min=10),
    "ps": DeviceLimits(kind="pump", max_flow_rate_ml_min=10),
    "heat": DeviceLimits(kind="heater", max_temperature_c=140),
    "hplc": DeviceLimits(kind="analyzer"),
}


def conditions(**overrides: float) -> FlowConditions:
    values = {
        "residence_time_min": 1.0,
        "equivalents": 3.0,
        "concentration_mol_l": 0.3,
        "temperature_c": 80.0,
    }
    return FlowConditions(**{**values, **overrides})


def test_flow_rates_realize_residence_time_and_concentrations() -> None:
    rates = flow_rates_ml_min(conditions(), SETUP)
    total = sum(rates.values())
    assert total == pytest.approx(5.0)  # 5 mL / 1 min
    assert rates["pa"] * 1.0 / total == pytest.approx(0.3)
    assert rates["pb"] * 6.0 / total == pytest.approx(0.9)


def test_too_dilute_stocks_are_explained() -> None:
    with pytest.raises(ProtocolError, match="needs 175% of the total flow"):
        flow_rates_ml_min(conditions(concentration_mol_l=0.5, equivalents=15.0), SETUP)


def test_protocol_is_heat_flow_wait_measure() -> None:
    protocol = build_flow_protocol(conditions(), SETUP, "p1")
    kinds = [type(s) for s in protocol.steps]
    assert kinds == [
        SetTemperature,
        SetFlowRate,
        SetFlowRate,
        SetFlowRate,
        WaitSteadyState,
        Measure,
    ]
    wait = protocol.steps[4]
    assert isinstance(wait, WaitSteadyState) and wait.seconds == pytest.approx(3 * 60.0)
    assert protocol.devices() == {"pa", "pb", "ps", "heat", "hplc"}


def test_digest_identifies_the_protocol() -> None:
    a = build_flow_protocol(conditions(), SETUP, "p1")
    b = build_flow_protocol(conditions(), SETUP, "p1")
    c = build_flow_protocol(conditions(temperature_c=81.0), SETUP, "p1")
    assert a.digest() == b.digest() != c.digest()
    assert any("set_temperature" in line for line in a.describe())


def test_validation_lists_every_violation() -> None:
    protocol = build_flow_protocol(
        conditions(residence_time_min=0.2, temperature_c=150), SETUP, "p"
    )
    found = violations(protocol, LIMITS)
    assert any("heat setpoint 150 °C exceeds its limit 140 °C" in v for v in found)
    assert not any("pa flow" in v for v in found)
    assert any("ps flow" in v for v in found)
    with pytest.raises(ProtocolValidationError, match="not safe to run"):
        check_protocol(protocol, LIMITS)


def test_validation_catches_unknown_and_wrong_kind_devices() -> None:
    protocol = build_flow_protocol(conditions(), SETUP, "p")
    limits = dict(LIMITS)
    del limits["hplc"]
    limits["heat"] = DeviceLimits(kind="pump", max_flow_rate_ml_min=1)
    found = violations(protocol, limits)
    assert any("unknown device 'hplc'" in v for v in found)
    assert any("heat is a pump, not a heater" in v for v in found)


def test_reaction_metrics() -> None:
    readout = Readout(
        product="ortho",
        limiting_species="dfnb",
        solvent_density_g_ml=0.789,
        molar_masses_g_mol={"dfnb": 159.09, "ortho": 210.21},
    )
    metrics = flow_metrics(readout, 0.5, 0.5, {"dfnb": 0.1, "ortho": 0.4})
    assert metrics["sty_kg_m3_h"] == pytest.approx(0.4 * 210.21 * 120)
    assert metrics["yield_pct"] == pytest.approx(80.0)
    assert metrics["conversion_pct"] == pytest.approx(80.0)
    assert metrics["e_factor"] == pytest.approx((789 + 15.909) / (0.4 * 210.21))
    assert "ortho_mol_l" in metric_names(readout)
