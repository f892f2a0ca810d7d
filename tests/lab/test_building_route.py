from lab.builders.route import route_parameters, station_conditions, step_conditions
from lab.devices.labfile import load_lab
from lab.specs.route import ApprovedRoute
from protocols.route_batch import HeaterShakerSetup
from routes import edits
from tests.routes.fixtures import ROOT, example_routes, suzuki_then_acylation

LAB = load_lab(ROOT / "examples" / "labs" / "route_bench.yaml")


def _names(parameters) -> dict:
    return {p.name: p for p in parameters}


def test_the_joint_space_spans_every_route_capped_at_the_heater_shaker() -> None:
    routes = tuple(ApprovedRoute(label=f"r{i}", route=r) for i, r in enumerate(example_routes()))
    params = _names(route_parameters(routes, LAB, HeaterShakerSetup()))
    assert params["route"].choices == tuple(r.label for r in routes)
    low, high = params["s1_temperature_c"].bounds
    assert low == 0.0 and high == 95.0  # amide (0-60) or Suzuki (40-120) first, capped at 95
    assert params["s1_time_min"].log_scale and not params["s1_temperature_c"].log_scale
    held = {r.solvent_class for r in LAB.reagents if r.solvent_class}
    assert set(params["s2_solvent"].choices) <= held


def test_a_fixed_condition_leaves_the_space_and_overrides_the_design() -> None:
    route = edits.set_condition(suzuki_then_acylation(), 1, "temperature_c", "80")
    params = _names(
        route_parameters((ApprovedRoute(label="a", route=route),), LAB, HeaterShakerSetup())
    )
    assert "route" not in params and "s1_temperature_c" not in params
    design = {
        "s1_equivalents": 1.2,
        "s1_time_min": 30.0,
        "s1_solvent": "ether",
        "s2_temperature_c": 20.0,
        "s2_equivalents": 1.5,
        "s2_time_min": 15.0,
        "s2_solvent": "chlorinated",
    }
    chosen = step_conditions(route, design)
    assert chosen[0].temperature_c == 80.0 and chosen[1].temperature_c == 20.0
    told = station_conditions(route, chosen)
    assert (
        told["steps"] == 2.0 and told["s1_class"] == "suzuki" and told["s1_temperature_c"] == 80.0
    )
