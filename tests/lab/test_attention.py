"""A person settles experiments that need attention after a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from datastore.states import ExperimentStatus as S
from lab.review.attention import parse_values, resolve
from lab.review.decisions import ReviewError
from lab.running.campaigns import open_campaign
from tests.lab.helpers import assert_valid_histories, small_campaign

DESIGN = {
    "residence_time_min": 1.0,
    "equivalents": 2.0,
    "concentration_mol_l": 0.2,
    "temperature_c": 60.0,
}


def flagged(store: Datastore, examples: Path) -> int:
    campaign, _ = open_campaign(store, small_campaign(examples), "tester")
    with store.session() as session:
        (e,) = repo.add_proposals(
            session,
            campaign,
            1,
            [repo.NewExperiment(DESIGN)],
            repo.NewSnapshot("random", 0, 0.0),
            actor="tester",
        )
    for target in (S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED, S.RUNNING, S.NEEDS_ATTENTION):
        with store.session() as session:
            repo.transition(session, e.id, target, actor="tester")
    return e.id


def test_completed_with_the_values_read_by_a_person(store: Datastore, examples: Path) -> None:
    eid = flagged(store, examples)
    done = resolve(
        store, "ana@lab", eid, "completed", {"sty_kg_m3_h": 5123.0}, "from the HPLC report"
    )
    assert done.status == "completed"
    with store.session() as session:
        assert repo.campaign_measurements(session, done.campaign_id) == {
            eid: {"sty_kg_m3_h": 5123.0}
        }
        kinds = [e.kind for e in repo.list_events(session, done.campaign_id)]
    assert kinds[-1] == "resolved"
    assert_valid_histories(store, "small")


@pytest.mark.parametrize(
    ("outcome", "values", "note", "message"),
    [
        ("completed", {}, "checked", "give the measured sty_kg_m3_h"),
        ("completed", {"sty_kg_m3_h": 1.0, "purity": 2.0}, "checked", "unknown measurement"),
        ("failed", {"sty_kg_m3_h": 1.0}, "clogged", "only goes with --completed"),
        ("failed", {}, " ", "say how you know"),
    ],
)
def test_bad_resolutions_change_nothing(
    store: Datastore, examples: Path, outcome, values, note, message
) -> None:
    eid = flagged(store, examples)
    with pytest.raises(ReviewError, match=message):
        resolve(store, "ana@lab", eid, outcome, values, note)
    with store.session() as session:
        assert repo.get_experiment(session, eid).status == "needs_attention"


def test_only_flagged_experiments_can_be_resolved(store: Datastore, examples: Path) -> None:
    eid = flagged(store, examples)
    resolve(store, "ana@lab", eid, "failed", {}, "line clogged, nothing collected")
    with pytest.raises(ReviewError, match="only experiments that need attention"):
        resolve(store, "ana@lab", eid, "abandoned", {}, "again")
    with pytest.raises(ReviewError, match="no experiment with id 999"):
        resolve(store, "ana@lab", 999, "abandoned", {}, "x")


def test_value_parsing() -> None:
    assert parse_values(["a=1.5", "b = 2"]) == {"a": 1.5, "b": 2.0}
    with pytest.raises(ReviewError, match="name=number"):
        parse_values(["a=high"])
