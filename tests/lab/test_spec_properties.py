"""Property: any mutation of an example campaign or lab file loads, or fails with a clear error.

Hypothesis mutates the shipped examples (values replaced by odd ones, keys
deleted or added, the text cut or sprinkled with stray characters) and loads
the result as ``dbtl run`` would. The only acceptable outcomes are a valid
load or a :class:`SpecError` whose every line names the file it is about:
never another exception.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.running.campaigns import load_campaign
from lab.specs.yamlio import SpecError
from tests.conftest import EXAMPLES

pytestmark = pytest.mark.slow

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.lists(st.integers(min_value=-5, max_value=5), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
MUTATION = st.tuples(
    st.sampled_from(["replace", "delete", "add"]), st.integers(0, 10**6), ODD_VALUES
)
TEXT_EDIT = st.tuples(
    st.sampled_from(["cut", "insert"]), st.integers(0, 10**6), st.text(min_size=1, max_size=8)
)

CASES = {
    "snar": ("snar_flow.yaml", "flow_sim.yaml"),
    "suzuki": ("suzuki_hte.yaml", "ot2_suzuki.yaml"),
    "emulated": ("snar_flow_emulated.yaml", "flow_emulated.yaml"),
}


def key_paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside nested mappings and lists."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += key_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += key_paths(value, (*prefix, index))
    return found


def mutate(data: Any, mutations: list[tuple[str, int, Any]]) -> Any:
    data = copy.deepcopy(data)
    for action, pick, value in mutations:
        paths = key_paths(data)
        if not paths:
            return value
        path = paths[pick % len(paths)]
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if action == "replace":
            parent[last] = value
        elif action == "delete":
            del parent[last]
        elif isinstance(parent, dict):
            parent[f"extra_{pick % 7}"] = value
        else:
            parent.append(value)
    return data


def edit_text(text: str, edits: list[tuple[str, int, str]]) -> str:
    for action, where, stray in edits:
        at = where % (len(text) + 1)
        text = text[:at] if action == "cut" else text[:at] + stray + text[at:]
    return text


def attempt(case: str, which: str, write) -> None:
    """Write the mutated file in a private copy of the example and load the campaign."""
    campaign_name, lab_name = CASES[case]
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "labs").mkdir()
        shutil.copy(EXAMPLES / campaign_name, root / "campaign.yaml")
        shutil.copy(EXAMPLES / "labs" / lab_name, root / "labs" / lab_name)
        target = root / "campaign.yaml" if which == "campaign" else root / "labs" / lab_name
        write(target)
        try:
            load_campaign(root / "campaign.yaml")
        except SpecError as exc:
            message = str(exc)
            assert message, "an empty message"
            for line in message.splitlines():
                assert line.startswith(str(root)) or line.startswith("campaign "), message


@settings(
    max_examples=80,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples on every run, so a CI result is reproducible
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    case=st.sampled_from(sorted(CASES)),
    which=st.sampled_from(["campaign", "lab"]),
    mutations=st.lists(MUTATION, min_size=1, max_size=3),
)
def test_mutated_values_load_or_fail_clearly(case: str, which: str, mutations) -> None:
    def write(target: Path) -> None:
        data = yaml.safe_load(target.read_text())
        target.write_text(yaml.safe_dump(mutate(data, mutations), sort_keys=False))

    attempt(case, which, write)


@settings(
    max_examples=50,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    case=st.sampled_from(sorted(CASES)),
    which=st.sampled_from(["campaign", "lab"]),
    edits=st.lists(TEXT_EDIT, min_size=1, max_size=3),
)
def test_mutated_text_loads_or_fails_clearly(case: str, which: str, edits) -> None:
    def write(target: Path) -> None:
        target.write_text(edit_text(target.read_text(), edits))

    attempt(case, which, write)
