"""Exclusions, fixed-per-batch parameters and jointly infeasible constraints."""

import pandas as pd
import pytest
from pydantic import ValidationError

from planner import (
    CandidateSet,
    CategoricalParameter,
    Exclusion,
    FloatParameter,
    IntParameter,
    LinearConstraint,
    OrdinalParameter,
    PlannerError,
    SearchSpace,
)
from planner.constraints import parse_exclusion

BASES = CategoricalParameter(name="base", choices=("NaOH", "KOH", "Et3N"))
SOLVENTS = CategoricalParameter(name="solvent", choices=("MeOH", "THF"))
LOADING = OrdinalParameter(name="loading", levels=(0.5, 1.0, 2.0))


def plate(*exclusions: Exclusion | str | dict, fixed: tuple[str, ...] = ()) -> SearchSpace:
    return SearchSpace.model_validate(
        {
            "parameters": [BASES, SOLVENTS, LOADING, FloatParameter(name="t", bounds=(20, 80))],
            "exclusions": list(exclusions),
            "fixed_per_batch": list(fixed),
        }
    )


def test_exclusion_forbids_the_combination_only() -> None:
    space = plate({"when": {"base": ["NaOH", "KOH"], "solvent": "MeOH"}, "reason": "hydrolysis"})
    assert not space.is_feasible({"base": "KOH", "solvent": "MeOH", "loading": 1.0, "t": 30})
    assert space.is_feasible({"base": "KOH", "solvent": "THF", "loading": 1.0, "t": 30})
    assert space.is_feasible({"base": "Et3N", "solvent": "MeOH", "loading": 1.0, "t": 30})
    with pytest.raises(ValueError, match=r"excluded by base in \(NaOH, KOH\).*\(hydrolysis\)"):
        space.validate_design({"base": "NaOH", "solvent": "MeOH", "loading": 1.0, "t": 30})


def test_exclusion_strings_are_parsed_and_numbers_coerced() -> None:
    assert parse_exclusion("base in (NaOH, KOH) and solvent = MeOH") == {
        "base": ("NaOH", "KOH"),
        "solvent": ("MeOH",),
    }
    space = plate("loading = 2 and solvent == THF")
    assert space.exclusion_hit({"base": "Et3N", "solvent": "THF", "loading": 2.0, "t": 20})
    assert not space.exclusion_hit({"base": "Et3N", "solvent": "THF", "loading": 1.0, "t": 20})


@pytest.mark.parametrize(
    ("exclusion", "message"),
    [
        ("catalyst = Pd", "unknown parameter 'catalyst'"),
        ("t = 30", "continuous parameter 't'"),
        ("base = LiOH", r"base='LiOH' is not allowed; expected one of NaOH, KOH, Et3N"),
        ("loading = 3", "loading=3.0 is not allowed"),
        ("base NaOH", "cannot read .base NaOH."),
    ],
)
def test_bad_exclusions_name_the_culprit(exclusion: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        plate(exclusion)


def test_exclusions_that_forbid_everything_are_refused() -> None:
    with pytest.raises(ValidationError, match="forbid every combination of base, solvent"):
        plate("solvent = MeOH", "solvent = THF and base in (NaOH, KOH, Et3N)")


def test_fixed_per_batch_must_name_parameters_once() -> None:
    assert plate(fixed=("t",)).fixed_per_batch == ("t",)
    with pytest.raises(ValidationError, match=r"unknown parameter.*temperature"):
        plate(fixed=("temperature",))
    with pytest.raises(ValidationError, match="repeats"):
        plate(fixed=("t", "t"))


def test_constraints_that_cannot_hold_together_are_refused() -> None:
    parameters = (FloatParameter(name="a", bounds=(0, 1)), IntParameter(name="b", bounds=(0, 4)))
    with pytest.raises(ValidationError, match="cannot all hold at once"):
        SearchSpace(
            parameters=parameters,
            constraints=(
                LinearConstraint.model_validate("a + b <= 1"),
                LinearConstraint.model_validate("a + b >= 3"),
            ),
        )


def test_candidate_rows_hit_by_an_exclusion_are_dropped() -> None:
    space = plate("base = NaOH and solvent = MeOH")
    table = pd.DataFrame(
        {
            "base": ["NaOH", "NaOH", "KOH"],
            "solvent": ["MeOH", "THF", "MeOH"],
            "loading": [1.0, 1.0, 0.5],
            "t": [30.0, 30.0, 40.0],
        }
    )
    assert len(CandidateSet(space, table)) == 2
    with pytest.raises(PlannerError, match="exclusions rule out all 1 rows"):
        CandidateSet(space, table.iloc[:1])
