import io
import re

import opentrons.simulate
import pytest

from protocols.errors import ProtocolError, ProtocolValidationError
from protocols.hte import build_plate
from protocols.opentrons import CSV_COLUMNS, compile_opentrons
from protocols.protocol import Protocol
from protocols.steps import Mix, Transfer, Wait, WellRef
from tests.hte_fixtures import deck, designs, recipe


def _simulate(text: str, filename: str) -> list[str]:
    runlog, _ = opentrons.simulate.simulate(io.StringIO(text), filename)
    return [entry["payload"]["text"] for entry in runlog]


@pytest.mark.parametrize("robot_type", ["OT-2", "Flex"])
def test_compiled_plate_simulates_and_pipettes_exactly_the_plan(robot_type: str) -> None:
    d = deck(robot_type)
    plan = build_plate(designs(6), recipe(randomize_wells=True, seed=2), d, "demo#1")
    compiled = compile_opentrons(plan.protocol, d, "lh")
    assert f'"robotType": "{robot_type}"' in compiled.text.replace("'", '"')
    log = _simulate(compiled.text, compiled.filename)
    dispensed = [
        (round(float(m.group(1)), 2), m.group(2))
        for line in log
        if (m := re.match(r"Dispensing ([\d.]+) uL into (\w+) of plate", line))
    ]
    transfers = [s for s in plan.protocol.steps if isinstance(s, Transfer)]
    mixes = [s for s in plan.protocol.steps if isinstance(s, Mix)]
    planned = [(round(t.volume_ul, 2), t.destination.well) for t in transfers]
    # each mix dispenses its volume once per repetition into its well
    planned += [(round(m.volume_ul, 2), m.well.well) for m in mixes for _ in range(m.repetitions)]
    assert sorted(dispensed) == sorted(planned)
    assert sum(line.startswith("Picking up tip") for line in log) == len(transfers) + len(mixes)
    assert "transfers compiled into the protocol" in log


def test_compiled_text_embeds_the_table_and_declares_runtime_parameters() -> None:
    d = deck()
    plan = build_plate(designs(2), recipe(), d, "p")
    compiled = compile_opentrons(plan.protocol, d, "lh")
    header, *rows = compiled.transfers_csv.splitlines()
    assert tuple(header.split(",")) == CSV_COLUMNS
    assert len(rows) == len(plan.protocol.steps)
    assert compiled.transfers_csv in compiled.text
    assert "add_csv_file" in compiled.text and "add_bool" in compiled.text
    assert compiled.source_digest == plan.protocol.digest()
    compile(compiled.text, compiled.filename, "exec")


def test_compiler_refuses_invalid_or_empty_protocols() -> None:
    d = deck()
    bad = Protocol(
        name="too much",
        steps=(
            Transfer(
                device="lh",
                source=WellRef(labware="stocks", well="A1"),
                destination=WellRef(labware="plate", well="A1"),
                volume_ul=500,
            ),
        ),
    )
    with pytest.raises(ProtocolValidationError, match=r"step 1 .*500 µL is outside"):
        compile_opentrons(bad, d, "lh")
    with pytest.raises(ProtocolError, match="no liquid-handling step for lh"):
        compile_opentrons(Protocol(name="idle", steps=(Wait(seconds=1),)), d, "lh")
