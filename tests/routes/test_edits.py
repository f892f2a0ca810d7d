import pytest

from routes import edits
from routes.errors import RouteInputError
from tests.routes.fixtures import example_stock, suzuki_then_acylation


def test_fixing_conditions_makes_a_new_route_and_keeps_the_old() -> None:
    route = suzuki_then_acylation()
    edited = edits.set_condition(route, 1, "temperature_c", "80")
    edited = edits.set_condition(edited, 1, "solvent", "ether")
    edited = edits.set_condition(edited, 2, "workup", "aqueous wash")
    assert edited.steps[0].recipe.temperature_c == 80.0
    assert edited.steps[0].recipe.solvent == "ether"
    assert edited.steps[1].recipe.workup == "aqueous wash"
    assert route.steps[0].recipe.temperature_c is None


@pytest.mark.parametrize(
    ("number", "name", "value", "message"),
    [
        (3, "temperature_c", "80", "step 3: the route has steps 1-2"),
        (1, "temperature_c", "hot", "'hot' is not a number"),
        (1, "temperature_c", "300", "300 is outside the step's range 40-120"),
        (1, "solvent", "water", "'water' is not a solvent class of this step"),
        (1, "pressure_bar", "2", "unknown condition"),
    ],
)
def test_bad_edits_are_refused(number: int, name: str, value: str, message: str) -> None:
    with pytest.raises(RouteInputError, match=message):
        edits.set_condition(suzuki_then_acylation(), number, name, value)


def test_swapping_a_reagent_keeps_its_role() -> None:
    route = edits.swap_reagent(suzuki_then_acylation(), 1, "K2CO3", "K3PO4", None)
    swapped = next(r for r in route.steps[0].reagents if r.name == "K3PO4")
    assert swapped.role == "base"
    with pytest.raises(RouteInputError, match="no reagent 'HATU'"):
        edits.swap_reagent(route, 1, "HATU", "T3P", None)


def test_swapping_a_step_reapplies_a_template_or_says_it_does_not_apply() -> None:
    route = suzuki_then_acylation()
    swapped = edits.swap_step(route, 2, "amide_from_acid", example_stock())
    assert swapped.steps[1].template_id == "amide_from_acid"
    assert "CC(=O)O" in swapped.leaves and swapped.solved
    with pytest.raises(RouteInputError, match=r"template 'heck_bromide' .* does not apply"):
        edits.swap_step(route, 1, "heck_bromide", None)
