"""The Suzuki HTE demo, run once per session: a chemist approves, edits one and rejects one."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from datastore.states import ExperimentStatus
from lab.review.decisions import Reviewer
from lab.running.runner import run_campaign, with_spec
from lab.specs.campaign import ApprovalSpec
from tests.conftest import EXAMPLES
from tests.lab.helpers import suzuki_campaign

CHEMIST = "A. Chemist"


@dataclass(frozen=True)
class SuzukiRun:
    """The stored demo: its datastore, the loaded campaign, and who was decided how."""

    store: Datastore
    loaded: object
    edited: int
    rejected: int
    edit: dict[str, str]


def _decide_cycle(store: Datastore, campaign: str, first: bool) -> tuple[int, int]:
    with store.session() as session:
        c = repo.get_campaign(session, campaign)
        held = repo.list_experiments(session, c.id or 0, [ExperimentStatus.AWAITING_APPROVAL])
        ids = [e.id or 0 for e in held]
    reviewer = Reviewer(store, CHEMIST)
    if not first:
        reviewer.approve(ids, comment="second plate as proposed")
        return 0, 0
    edited, rejected, rest = ids[0], ids[1], ids[2:]
    reviewer.approve([edited], edits={"ligand": "XPhos"}, comment="XPhos is in stock")
    reviewer.reject([rejected], reason="triflate stock not made yet")
    reviewer.approve(rest)
    return edited, rejected


@pytest.fixture(scope="session")
def suzuki_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuzukiRun]:
    """Two plates of 4 (budget 8): the first with one edit and one rejection, both run."""
    root = tmp_path_factory.mktemp("suzuki")
    examples = root / "examples"
    shutil.copytree(EXAMPLES, examples)
    loaded = suzuki_campaign(examples, name="suzuki-prov", budget=8, batch=4)
    loaded = with_spec(loaded, approval=ApprovalSpec(policy="chemist"))
    store = Datastore(f"sqlite:///{Path(root) / 'hte.db'}")
    run_campaign(store, loaded, wait=False)
    edited, rejected = _decide_cycle(store, "suzuki-prov", first=True)
    for _ in range(4):  # later cycles: approve as proposed until the budget is reached
        result = run_campaign(store, loaded, wait=False)
        if result.finished:
            break
        _decide_cycle(store, "suzuki-prov", first=False)
    assert result.finished, result.reason
    yield SuzukiRun(store, loaded, edited, rejected, {"ligand": "XPhos"})
    store.dispose()
