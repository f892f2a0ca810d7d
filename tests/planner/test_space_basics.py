import pytest
from pydantic import ValidationError

from planner import (
    CategoricalParameter,
    FloatParameter,
    IntParameter,
    LinearConstraint,
    MoleculeParameter,
    Objective,
    OrdinalParameter,
    Problem,
    SearchSpace,
)
from planner.space import parse_linear_constraint


def test_inverted_bounds_name_both_values() -> None:
    with pytest.raises(ValidationError, match="lower 120 must be < upper 30"):
        FloatParameter(name="t", bounds=(120, 30))


def test_empty_range_is_refused() -> None:
    with pytest.raises(ValidationError, match="lower 5 must be < upper 5"):
        IntParameter(name="n", bounds=(5, 5))


def test_log_scale_needs_positive_lower_bound() -> None:
    with pytest.raises(ValidationError, match="positive lower bound"):
        FloatParameter(name="c", bounds=(0, 1), log_scale=True)


def test_invalid_smiles_names_the_smiles_and_the_parameter() -> None:
    with pytest.raises(
        ValidationError, match=r"invalid SMILES 'C1CC\(' for choice 'bad' of parameter 'base'"
    ):
        MoleculeParameter(name="base", choices={"ok": "CCN", "bad": "C1CC("})


def test_molecule_list_uses_smiles_as_labels_and_empty_means_nothing() -> None:
    p = MoleculeParameter(name="additive", choices=["CCO", ""])
    assert p.choices == {"CCO": "CCO", "": ""}


def test_duplicate_choices_are_refused() -> None:
    with pytest.raises(ValidationError, match="repeated: a"):
        CategoricalParameter(name="s", choices=("a", "b", "a"))


@pytest.mark.parametrize(
    ("text", "coefficients", "bound"),
    [
        ("a + b <= 10", {"a": 1.0, "b": 1.0}, 10.0),
        ("2*a - 0.5 * b <= 3", {"a": 2.0, "b": -0.5}, 3.0),
        ("a + b >= 1", {"a": -1.0, "b": -1.0}, -1.0),
        ("1e-3*a<=2", {"a": 0.001}, 2.0),
    ],
)
def test_linear_constraint_parsing(text: str, coefficients: dict, bound: float) -> None:
    parsed = parse_linear_constraint(text)
    assert parsed["coefficients"] == coefficients
    assert parsed["bound"] == bound


@pytest.mark.parametrize("text", ["a + b", "a * b <= 2", "a + b <= x", "<= 3"])
def test_bad_constraints_are_explained(text: str) -> None:
    with pytest.raises(ValueError, match="constraint"):
        parse_linear_constraint(text)


def space(*constraints: str) -> SearchSpace:
    return SearchSpace(
        parameters=(
            FloatParameter(name="a", bounds=(0, 1)),
            IntParameter(name="b", bounds=(1, 5)),
            CategoricalParameter(name="s", choices=("x", "y")),
        ),
        constraints=tuple(LinearConstraint.model_validate(c) for c in constraints),
    )


def test_unsatisfiable_constraint_is_refused_up_front() -> None:
    with pytest.raises(
        ValidationError, match=r"cannot be satisfied.*smallest possible left-hand side is 1"
    ):
        space("a + b <= 0.5")


def test_constraint_on_unknown_or_categorical_parameter() -> None:
    with pytest.raises(ValidationError, match="unknown parameter"):
        space("a + zz <= 1")
    with pytest.raises(ValidationError, match="non-numeric"):
        space("a + s <= 1")


def test_validate_design_coerces_and_explains() -> None:
    sp = space("a + b <= 3")
    assert sp.validate_design({"a": 1, "b": 2.0, "s": "x"}) == {"a": 1.0, "b": 2, "s": "x"}
    with pytest.raises(
        ValueError, match=r"b=7 is not allowed; expected a whole number in \[1, 5\]"
    ):
        sp.validate_design({"a": 0.1, "b": 7, "s": "x"})
    with pytest.raises(ValueError, match="violates constraint a \\+ b <= 3"):
        sp.validate_design({"a": 0.5, "b": 3, "s": "x"})
    with pytest.raises(ValueError, match="unknown parameter"):
        sp.validate_design({"a": 0.5, "b": 1, "s": "x", "q": 1})


def test_ordinal_levels_keep_their_order() -> None:
    p = OrdinalParameter(name="loading", levels=(0.5, 1.0, 2.5))
    assert p.is_numeric and p.contains(1.0) and not p.contains(1.5)


def test_problem_rejects_objective_named_like_a_parameter() -> None:
    with pytest.raises(ValidationError, match="share a name"):
        Problem(space=space(), objectives=(Objective(name="a"),))
