"""Prior results (a table) as observations, and the errors bad tables raise."""

import math

import pandas as pd
import pytest

from planner import (
    CategoricalParameter,
    FloatParameter,
    MoleculeParameter,
    Objective,
    OutcomeConstraint,
    PlannerError,
    Problem,
    SearchSpace,
)
from planner.warmstart import observations_from_table

PROBLEM = Problem(
    space=SearchSpace(
        parameters=(
            FloatParameter(name="temperature_c", bounds=(20, 100)),
            CategoricalParameter(name="solvent", choices=("MeCN", "THF")),
            MoleculeParameter(name="base", choices={"none": "", "Et3N": "CCN(CC)CC"}),
        )
    ),
    objectives=(Objective(name="yield_pct"),),
    outcome_constraints=(OutcomeConstraint.model_validate("selectivity >= 90"),),
)


def table(**changes: list) -> pd.DataFrame:
    data = {
        "temperature_c": [30, 60.5, 90],
        "solvent": ["MeCN", "THF", "THF"],
        "base": ["none", "Et3N", "Et3N"],
        "yield_pct": [12.5, None, "80"],
        "selectivity": [95.0, 91.0, None],
        "notebook": ["p. 3", "p. 4", "p. 4"],
    }
    data.update(changes)
    return pd.DataFrame(data)


def test_rows_become_observations_and_empty_objectives_failures() -> None:
    observations = observations_from_table(PROBLEM, table())
    first, failed, partial = observations
    assert first.parameters == {"temperature_c": 30.0, "solvent": "MeCN", "base": "none"}
    assert first.values == {"yield_pct": 12.5, "selectivity": 95.0}
    assert failed.failed and failed.values == {}
    assert partial.values == {"yield_pct": 80.0} and not partial.failed
    assert all(o.task is None for o in observations)


def test_results_of_a_related_campaign_carry_their_task() -> None:
    observations = observations_from_table(PROBLEM, table(), task="other substrate")
    assert {o.task for o in observations} == {"other substrate"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"yield_pct": [1.0, "n/a", 3.0]},
            "outcome column 'yield_pct' is not numeric: row 2 has 'n/a'",
        ),
        ({"solvent": ["MeCN", "DMSO", "THF"]}, "row 2: solvent='DMSO' is not allowed"),
        (
            {"temperature_c": [30, 150, 90]},
            r"row 2: temperature_c=150.0 is not allowed.*\[20.0, 100.0\]",
        ),
        ({"base": ["none", None, "Et3N"]}, "row 2: no value for base"),
    ],
)
def test_bad_cells_are_named(changes: dict, message: str) -> None:
    with pytest.raises(PlannerError, match=message):
        observations_from_table(PROBLEM, table(**changes))


def test_missing_columns_are_named() -> None:
    with pytest.raises(PlannerError, match=r"lack parameter column.*solvent"):
        observations_from_table(PROBLEM, table().drop(columns=["solvent"]))
    with pytest.raises(PlannerError, match=r"lack outcome column.*yield_pct"):
        observations_from_table(PROBLEM, table().drop(columns=["yield_pct"]))
    only_yield = observations_from_table(PROBLEM, table().drop(columns=["selectivity"]))
    assert math.isclose(only_yield[0].values["yield_pct"], 12.5)
