import io
import re

import opentrons.simulate
import pytest

from lab.devices.labfile import load_lab
from protocols.inventory import ReagentSpec
from protocols.route_batch import HeaterShakerSetup, compile_batch
from protocols.route_flow import FlowTrain, ReactorModule, compile_flow
from protocols.route_recipe import RecipeError, StageConditions
from protocols.validation import DeviceLimits
from routes.benchmark_set import benchmark_stock
from routes.retro import make_step
from routes.search import build_route
from routes.templates import template
from tests.routes.fixtures import ROOT, suzuki_then_acylation

LAB = load_lab(ROOT / "examples" / "labs" / "route_bench.yaml")
DECK = LAB.device("ot2").deck
CONDITIONS = [
    StageConditions(temperature_c=85, equivalents=1.3, time_min=60, solvent="ether"),
    StageConditions(temperature_c=25, equivalents=1.2, time_min=30, solvent="chlorinated"),
]
SETUP = HeaterShakerSetup(concentration_mol_l=0.15)


def _simulate(text: str, name: str) -> list[str]:
    log, _ = opentrons.simulate.simulate(io.StringIO(text), name)
    return [entry["payload"]["text"] for entry in log]


def test_the_batch_program_passes_the_opentrons_simulator_and_adds_what_it_planned() -> None:
    assert DECK is not None
    compiled = compile_batch(suzuki_then_acylation(), CONDITIONS, LAB.reagents, DECK, SETUP, "demo")
    log = _simulate(compiled.text, compiled.filename)
    dispensed = [
        round(float(m.group(1)), 2)
        for line in log
        if (m := re.match(r"Dispensing ([\d.]+) uL into A1 of .*Heater-Shaker", line))
    ]
    planned = [round(a.volume_ul, 2) for stage in compiled.stages for a in stage]
    assert sorted(dispensed) == sorted(planned)
    assert "Setting Target Temperature of Heater-Shaker to 85 °C" in log
    assert "at ambient temperature" in log  # 25 °C: the module only heats
    assert any(line.startswith("Delaying for 60 minutes") for line in log)
    # 50 µmol at 0.15 M: every stage brings the well up by its stage volume
    assert sum(a.volume_ul for a in compiled.stages[0]) == pytest.approx(50 / 0.15)


def test_batch_pre_flight_refuses_a_missing_reagent_and_a_hot_step() -> None:
    assert DECK is not None
    lacking = tuple(r for r in LAB.reagents if r.species != "Pd(PPh3)4")
    with pytest.raises(
        RecipeError,
        match=r"^step 1 \(suzuki\): 'Pd\(PPh3\)4' is not in the lab's reagent inventory",
    ):
        compile_batch(suzuki_then_acylation(), CONDITIONS, lacking, DECK, SETUP, "x")
    hot = [CONDITIONS[0].model_copy(update={"temperature_c": 110}), CONDITIONS[1]]
    with pytest.raises(
        RecipeError, match=r"step 1 .*110 °C exceeds the heater-shaker's limit 95 °C"
    ):
        compile_batch(suzuki_then_acylation(), hot, LAB.reagents, DECK, SETUP, "x")
    with pytest.raises(RecipeError, match="no 'aqueous' solvent"):
        compile_batch(
            suzuki_then_acylation(),
            [CONDITIONS[0].model_copy(update={"solvent": "aqueous"}), CONDITIONS[1]],
            LAB.reagents,
            DECK,
            SETUP,
            "x",
        )


def _flow_inventory() -> tuple[ReagentSpec, ...]:
    pumps = {r.species: f"pump_{i}" for i, r in enumerate(LAB.reagents)}
    return tuple(r.model_copy(update={"position": pumps[r.species]}) for r in LAB.reagents)


def _flow_limits(max_temperature_c: float = 150.0) -> dict[str, DeviceLimits]:
    limits = {
        p.position: DeviceLimits(kind="pump", max_flow_rate_ml_min=10.0) for p in _flow_inventory()
    }
    limits["heater_1"] = DeviceLimits(kind="heater", max_temperature_c=max_temperature_c)
    limits["heater_2"] = DeviceLimits(kind="heater", max_temperature_c=max_temperature_c)
    limits["ir"] = DeviceLimits(kind="analyzer")
    return limits


TRAIN = FlowTrain(
    modules=(
        ReactorModule(volume_ml=2.0, heater="heater_1"),
        ReactorModule(volume_ml=10.0, heater="heater_2"),
    ),
    analyzer="ir",
)


def test_the_telescoped_flow_program_feeds_each_module_and_analyzes_in_line() -> None:
    flow = [
        CONDITIONS[0].model_copy(update={"time_min": 20}),
        CONDITIONS[1].model_copy(update={"time_min": 10}),
    ]
    protocol = compile_flow(
        suzuki_then_acylation(), flow, _flow_inventory(), TRAIN, _flow_limits(), "f"
    )
    kinds = [s.kind for s in protocol.steps]
    assert kinds[:2] == ["set_temperature", "set_temperature"]
    assert kinds[-2:] == ["wait_steady_state", "measure"]
    totals = protocol.metadata["module_flow_ml_min"]
    assert totals == pytest.approx([2.0 / 20, 10.0 / 10])
    rates = {s.device: s.flow_rate_ml_min for s in protocol.steps if s.kind == "set_flow_rate"}
    assert sum(rates.values()) == pytest.approx(totals[-1])  # everything leaves the last module


def test_flow_pre_flight_refuses_a_hot_module_and_an_impossible_residence_time() -> None:
    flow = [
        CONDITIONS[0].model_copy(update={"time_min": 20}),
        CONDITIONS[1].model_copy(update={"time_min": 10}),
    ]
    with pytest.raises(RecipeError, match="heater_1 setpoint 85 °C exceeds its limit 60 °C"):
        compile_flow(suzuki_then_acylation(), flow, _flow_inventory(), TRAIN, _flow_limits(60), "f")
    slow = [
        flow[0].model_copy(update={"time_min": 5}),
        flow[1].model_copy(update={"time_min": 200}),
    ]
    with pytest.raises(RecipeError, match="step 2: a residence time of 200 min"):
        compile_flow(suzuki_then_acylation(), slow, _flow_inventory(), TRAIN, _flow_limits(), "f")


def test_a_convergent_route_and_a_count_mismatch_are_refused() -> None:
    suzuki = template("suzuki_bromide")
    amine = make_step(suzuki, ("Nc1ccc(Br)cc1", "OB(O)c1ccccc1"), "Nc1ccc(-c2ccccc2)cc1")
    acid = make_step(suzuki, ("O=C(O)c1ccc(Br)cc1", "OB(O)c1ccccc1"), "O=C(O)c1ccc(-c2ccccc2)cc1")
    target = "O=C(Nc1ccc(-c2ccccc2)cc1)c1ccc(-c2ccccc2)cc1"
    amide = make_step(template("amide_from_acid"), (acid.product, amine.product), target)
    route = build_route(target, (amide, acid, amine), benchmark_stock(), "test")
    three = [CONDITIONS[0], CONDITIONS[0], CONDITIONS[1]]
    assert DECK is not None
    with pytest.raises(RecipeError, match=r"^step 2: the route is not linear"):
        compile_batch(route, three, LAB.reagents, DECK, SETUP, "x")
    with pytest.raises(RecipeError, match="1 condition sets for 2 steps"):
        compile_flow(
            suzuki_then_acylation(), CONDITIONS[:1], _flow_inventory(), TRAIN, _flow_limits(), "f"
        )
