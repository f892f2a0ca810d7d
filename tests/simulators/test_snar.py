import numpy as np
import pytest

from simulators.snar import (
    BOUNDS,
    STY_THRESHOLD_KG_M3_H,
    T_REF_K,
    e_factor,
    outlet_concentrations,
    rate_constants_per_s,
    snar_truth,
)


def test_rate_constants_equal_reference_values_at_90_c() -> None:
    k = rate_constants_per_s(T_REF_K - 273.15)
    assert k == pytest.approx({"a": 0.579, "b": 0.027, "c": 0.00865, "d": 0.0163})


def test_rates_grow_with_temperature() -> None:
    cold, hot = rate_constants_per_s(30), rate_constants_per_s(120)
    assert all(hot[name] > cold[name] for name in cold)


@pytest.mark.parametrize(
    "conditions", [(0.5, (0.5, 2.5), 120.0), (2.0, (0.1, 0.1), 30.0), (1.0, (0.3, 0.9), 75.0)]
)
def test_mass_balances_hold(conditions) -> None:
    tau, (c1, c2), temperature = conditions
    out = outlet_concentrations(tau, (c1, c2), temperature)
    # aromatic ring: 1 -> 3 / 4 -> 5
    assert out[0] + out[2] + out[3] + out[4] == pytest.approx(c1, rel=1e-5)
    # pyrrolidine: one in 3 and 4, two in 5
    assert out[1] + out[2] + out[3] + 2 * out[4] == pytest.approx(c2, rel=1e-5)
    assert (out >= 0).all()


def test_longer_residence_converts_more() -> None:
    short = outlet_concentrations(0.5, (0.2, 0.4), 60)
    long = outlet_concentrations(2.0, (0.2, 0.4), 60)
    assert long[0] < short[0]


def test_objectives_match_definitions() -> None:
    result = snar_truth(0.5, 2.0, 0.5, 120)
    c = np.array(result.outlet_mol_l)
    assert result.sty_kg_m3_h == pytest.approx(c[2] * 210.21 * 60 / 0.5)
    waste = 789.0 + 159.09 * c[0] + 71.12 * c[1] + 210.21 * c[3] + 261.33 * c[4]
    assert result.e_factor == pytest.approx(waste / (210.21 * c[2]))
    assert result.yield_pct == pytest.approx(100 * c[2] / 0.5)
    assert e_factor((1.0, 0.0, 0.0, 0.0, 0.0)) == 1000.0


def test_threshold_is_reachable_but_not_everywhere() -> None:
    best = snar_truth(0.5, 4.0, 0.5, 40)
    assert best.sty_kg_m3_h > STY_THRESHOLD_KG_M3_H and best.e_factor < 10
    low = snar_truth(2.0, 1.0, 0.1, 30)
    assert low.sty_kg_m3_h < 1000
    assert set(BOUNDS) == {
        "residence_time_min",
        "equivalents",
        "concentration_mol_l",
        "temperature_c",
    }
