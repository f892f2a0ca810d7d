import time

import pytest

from routes.benchmark_set import TARGETS, benchmark_stock
from routes.errors import RouteError, RouteInputError
from routes.registry import ProposalRequest, propose, proposer_names, register_proposer
from routes.search import SearchSettings, TemplateSearch
from routes.stock import Stock
from tests.routes.fixtures import TARGET, example_stock


def test_the_biaryl_amide_is_made_in_two_steps_from_stock_ranked_first() -> None:
    routes = propose("templates", ProposalRequest(TARGET, example_stock(), 2, 5))
    assert routes and all(r.solved for r in routes)
    best = routes[0]
    assert best.step_count == 2
    assert {s.template_class for s in best.steps} == {"suzuki", "amide_coupling"}
    assert best.steps[-1].product == TARGET
    assert [r.step_count for r in routes] == sorted(r.step_count for r in routes)
    assert len({r.key() for r in routes}) == len(routes)


def test_ranking_prefers_cheaper_routes_of_equal_length() -> None:
    routes = propose("templates", ProposalRequest(TARGET, example_stock(), 2, 5))
    costs = [r.cost for r in routes if r.step_count == 2]
    assert costs == sorted(costs)


def test_without_a_full_route_the_best_partial_ones_flag_their_missing_leaves() -> None:
    stock = Stock.parse("smiles,name,price,location\nOB(O)c1ccccc1,phenylboronic acid,1,A1\n")
    routes = TemplateSearch().search(TARGET, stock, SearchSettings(max_steps=2))
    assert routes and not any(r.solved for r in routes)
    assert any(not in_stock for r in routes for in_stock in r.leaves.values())
    assert any("NOT in stock" in line for line in routes[0].tree_lines())


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("C1CC(", "target: 'C1CC(' is not a valid SMILES"),
        ("Nc1ccc(Br)cc1", "target: Nc1ccc(Br)cc1 is already in the stock"),
        ("CCCC", "target: no template of the library applies to CCCC"),
    ],
)
def test_bad_targets_are_refused_with_one_line(target: str, message: str) -> None:
    with pytest.raises(RouteInputError) as exc:
        propose("templates", ProposalRequest(target, example_stock()))
    assert str(exc.value).startswith(message)
    assert "\n" not in str(exc.value)


def test_stock_errors_name_the_file_and_line() -> None:
    with pytest.raises(RouteInputError, match=r"stock line 3: 'xx\(' is not a valid SMILES"):
        Stock.parse("smiles,name,price,location\nCCO,ethanol,1,A\nxx(,bad,1,B\n")
    with pytest.raises(RouteInputError, match="lacks column"):
        Stock.parse("smiles,name\nCCO,ethanol\n")


def test_the_registry_refuses_a_duplicate_and_an_unknown_proposer() -> None:
    assert {"templates", "aizynthfinder", "syntheseus"} <= set(proposer_names())
    with pytest.raises(RouteError, match="already registered"):
        register_proposer("templates")(lambda request: [])
    with pytest.raises(RouteInputError, match="unknown route proposer 'nope'"):
        propose("nope", ProposalRequest(TARGET, example_stock()))


def test_the_documented_targets_are_found_from_the_benchmark_stock() -> None:
    stock = benchmark_stock()
    found = 0
    for target in TARGETS:
        started = time.perf_counter()
        routes = propose("templates", ProposalRequest(target.smiles, stock, 3, 10))
        assert time.perf_counter() - started < 10
        found += any(r.solved for r in routes)
        assert all(b in stock for b in target.building_blocks), target.name
    assert found >= 9
