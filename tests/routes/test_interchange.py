import json
from pathlib import Path

import pytest

from routes.drawing import step_svg
from routes.errors import RouteInputError
from routes.interchange import (
    read_aizynthfinder,
    read_routes,
    read_syntheseus,
    write_aizynthfinder,
    write_routes,
    write_syntheseus,
)
from routes.registry import ProposalRequest, propose
from tests.routes.fixtures import TARGET, example_stock, suzuki_then_acylation

AIZYNTH_TREE = {
    "type": "mol",
    "hide": False,
    "smiles": "CC(=O)Nc1ccc(-c2ccccc2)cc1",
    "is_chemical": True,
    "in_stock": False,
    "children": [
        {
            "type": "reaction",
            "hide": False,
            "smiles": "[CH3:1][C:2](=[O:3])[NH:4]c1ccc(-c2ccccc2)cc1>>Cl[C:2]([CH3:1])=[O:3]",
            "is_reaction": True,
            "metadata": {"template_hash": "abc", "classification": "0.0 Unrecognized"},
            "children": [
                {"type": "mol", "smiles": "CC(=O)Cl", "is_chemical": True, "in_stock": True},
                {
                    "type": "mol",
                    "smiles": "Nc1ccc(-c2ccccc2)cc1",
                    "is_chemical": True,
                    "in_stock": False,
                    "children": [
                        {
                            "type": "reaction",
                            "smiles": "Nc1ccc(-c2ccccc2)cc1>>Nc1ccc(Br)cc1.OB(O)c1ccccc1",
                            "metadata": {"policy_probability": 0.4},
                            "children": [
                                {"type": "mol", "smiles": "Nc1ccc(Br)cc1", "in_stock": True},
                                {"type": "mol", "smiles": "OB(O)c1ccccc1", "in_stock": True},
                            ],
                        }
                    ],
                },
            ],
        }
    ],
}


def test_an_aizynthfinder_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "trees.json"
    path.write_text(json.dumps([AIZYNTH_TREE]))
    (route,) = read_routes(path, "aizynthfinder")
    assert route.target == TARGET and route.solved and route.step_count == 2
    assert [s.template_class for s in route.steps] == ["suzuki", "amide_coupling"]
    assert route.steps[1].metadata["template_hash"] == "abc"
    assert route.steps[1].reaction_smiles.startswith("[CH3:1]")  # the mapping is kept
    exported = json.loads(write_routes([route], "aizynthfinder"))
    again = read_aizynthfinder(exported, "export")[0]
    assert again.key() == route.key() and again.leaves == route.leaves
    assert exported[0]["children"][0]["children"][1]["children"][0]["type"] == "reaction"


def test_a_syntheseus_file_round_trips(tmp_path: Path) -> None:
    original = suzuki_then_acylation()
    path = tmp_path / "routes.json"
    path.write_text(write_routes([original], "syntheseus"))
    (route,) = read_routes(path, "syntheseus", example_stock())
    assert route.key() == original.key() and route.solved
    assert [s.template_id for s in route.steps] == [s.template_id for s in original.steps]
    assert write_syntheseus(route) == json.loads(path.read_text())[0]


def test_the_file_proposers_read_routes_to_the_target(tmp_path: Path) -> None:
    path = tmp_path / "trees.json"
    path.write_text(json.dumps(write_aizynthfinder(suzuki_then_acylation())))
    routes = propose("aizynthfinder", ProposalRequest(TARGET, example_stock(), route_file=path))
    assert routes[0].source == "aizynthfinder" and routes[0].solved
    with pytest.raises(RouteInputError, match="holds no route to"):
        propose(
            "aizynthfinder", ProposalRequest("c1ccc(N2CCOCC2)cc1", example_stock(), route_file=path)
        )


def test_malformed_route_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RouteInputError, match="root must be a molecule node"):
        read_aizynthfinder({"type": "reaction"}, "f.json")
    with pytest.raises(RouteInputError, match="expected an object with 'target'"):
        read_syntheseus([{"reactions": []}], "f.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(RouteInputError, match="not JSON"):
        read_routes(bad, "syntheseus")
    with pytest.raises(RouteInputError, match="unknown route format"):
        read_routes(bad, "reaxys")


def test_a_step_is_drawn_as_svg() -> None:
    svg = step_svg(suzuki_then_acylation().steps[0])
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "</svg>" in svg
