"""The service layer: decisions record their actor and source; bad input is refused."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from datastore import Datastore, NotFoundError
from datastore import repository as repo
from datastore.accounts import AccountError
from datastore.states import ExperimentStatus as S
from lab.devices.labfile import load_lab
from lab.review.control import ControlError
from lab.review.decisions import EditRefusedError, ReviewError
from lab.running.campaigns import LoadedCampaign
from lab.running.learn import propose
from lab.running.runner import run_campaign, with_spec
from lab.services import (
    accounts,
    attention,
    campaigns,
    control,
    devices,
    exports,
    planning,
    review,
)
from lab.services.actor import Actor, ActorError, cli_actor, os_user
from lab.services.protocols import preflight
from lab.specs.campaign import ApprovalSpec
from tests.lab.helpers import assert_valid_histories, small_campaign

ANA = Actor("ana", "api")
BEN = Actor("ben", "web")
DESIGN = {
    "residence_time_min": 1.0,
    "equivalents": 2.0,
    "concentration_mol_l": 0.2,
    "temperature_c": 60.0,
}


def chemist_campaign(examples: Path, budget: int = 3, batch: int = 3) -> LoadedCampaign:
    loaded = small_campaign(examples, name="chem", budget=budget, batch=batch, strategy="sobol")
    return with_spec(loaded, approval=ApprovalSpec(policy="chemist"))


def awaiting(store: Datastore, examples: Path, budget: int = 3) -> list[int]:
    """Ids of the proposals of a chemist-gated campaign, waiting for a person."""
    run_campaign(store, chemist_campaign(examples, budget), wait=False)
    return [v.experiment.id or 0 for v in review.list_proposals(store, "chem")]


def events(store: Datastore, name: str = "chem", kind: str | None = None) -> list:
    with store.session() as session:
        found = repo.list_events(session, repo.get_campaign(session, name).id or 0)
    return [e for e in found if kind is None or e.kind == kind]


def statuses(store: Datastore, name: str = "chem") -> dict[int, str]:
    with store.session() as session:
        found = repo.list_experiments(session, repo.get_campaign(session, name).id or 0)
    return {e.id or 0: e.status for e in found}


# ------------------------------------------------------------------ actors


def test_an_actor_is_a_named_person_from_a_known_front_end() -> None:
    assert ANA.audit() == {"source": "api"}
    assert cli_actor("A. Chemist").audit() == {"source": "cli", "os_user": os_user()}
    assert cli_actor().name == os_user()
    with pytest.raises(ActorError, match="reserved for policies"):
        Actor("policy:auto", "web")
    with pytest.raises(ActorError, match="needs a name"):
        Actor("  ", "web")
    with pytest.raises(ActorError, match="source 'email': expected one of cli, web, api"):
        Actor("ana", "email")  # type: ignore[arg-type]


# ------------------------------------------------------------------ review


def test_approve_with_an_edit_records_the_actor_and_source(store: Datastore, examples) -> None:
    first, second, third = awaiting(store, examples)
    views = review.list_proposals(store, "chem")
    assert [v.preflight for v in views] == ["passed"] * 3 and views[0].protocol_lines
    (approved,) = review.approve(store, ANA, [first], {"temperature_c": "80"}, "cooler")
    assert approved.status == "approved" and approved.parameters["temperature_c"] == 80.0
    (rejected,) = review.reject(store, BEN, [second], "dilute stock not available")
    assert rejected.status == "rejected" and rejected.error == "dilute stock not available"
    edited = events(store, kind="edited")[0]
    assert (edited.actor, edited.payload["source"], edited.payload["comment"]) == (
        "ana",
        "api",
        "cooler",
    )
    moves = {(e.experiment_id, e.to_status): e for e in events(store, kind="transition")}
    assert moves[(first, "approved")].actor == "ana"
    assert moves[(first, "approved")].payload == {"source": "api", "comment": "cooler"}
    assert moves[(second, "rejected")].payload == {
        "source": "web",
        "reason": "dilute stock not available",
        "error": "dilute stock not available",
    }
    assert [v.experiment.id for v in review.list_proposals(store)] == [third]
    assert_valid_histories(store, "chem")


@pytest.mark.parametrize(
    ("edits", "field", "message"),
    [
        ({"temperature_c": "150"}, "edits.temperature_c", "edit refused: .*150"),
        ({"temp": "80"}, "edits.temp", "unknown parameter 'temp'"),
        ({"temperature_c": "hot"}, "edits.temperature_c", "hot"),
    ],
)
def test_an_edit_outside_the_space_changes_nothing(
    store: Datastore, examples, edits: dict, field: str, message: str
) -> None:
    first, *_ = awaiting(store, examples)
    before = statuses(store), len(events(store))
    with pytest.raises(EditRefusedError, match=message) as refused:
        review.approve(store, ANA, [first], edits)
    assert refused.value.field == field
    assert (statuses(store), len(events(store))) == before


def test_an_edit_beyond_the_labs_limits_is_refused_naming_the_limit(
    store: Datastore, examples: Path
) -> None:
    loaded = small_campaign(examples)  # loads: its bounds fit the lab's limits
    lab_file = examples / "labs" / "flow_sim.yaml"
    stricter = lab_file.read_text().replace("max_temperature_c: 140.0", "max_temperature_c: 100.0")
    lab_file.write_text(stricter)  # the heater was derated since the campaign was written
    strict = dataclasses.replace(loaded, lab=load_lab(lab_file))
    campaign, _ = campaigns.create_or_resume(store, strict, ANA)
    with store.session() as session:
        (e,) = repo.add_proposals(
            session, campaign, 1, [repo.NewExperiment(DESIGN)], repo.NewSnapshot("random", 0, 0.0),
            actor="tester",
        )  # fmt: skip
        repo.transition(session, e.id or 0, S.AWAITING_APPROVAL, actor="tester")
    with pytest.raises(EditRefusedError, match=r"safety limits.*exceeds its limit 100") as refused:
        review.approve(store, ANA, [e.id or 0], {"temperature_c": "110"})
    assert refused.value.field == "edits.temperature_c"
    assert statuses(store, "small") == {e.id: "awaiting_approval"}
    (ok,) = review.approve(store, ANA, [e.id or 0], {"temperature_c": "95"})
    assert ok.parameters["temperature_c"] == 95.0


def test_batch_approval_of_a_cycle_and_the_choice_of_ids(store: Datastore, examples) -> None:
    ids = awaiting(store, examples)
    with pytest.raises(ReviewError, match="ids or --all, not both"):
        review.choose(store, ids, True)
    with pytest.raises(ReviewError, match="at least one experiment id"):
        review.choose(store, [], False)
    assert review.choose(store, None, True, "chem", 1) == ids
    with pytest.raises(ReviewError, match="no proposals await approval in campaign 'chem' cycle 2"):
        review.approve_cycle(store, BEN, "chem", 2)
    decided = review.approve_cycle(store, BEN, "chem", 1, "all fine")
    assert [e.id for e in decided] == ids and {e.status for e in decided} == {"approved"}
    with pytest.raises(ReviewError, match="already decided"):
        review.reject(store, BEN, ids[:1], "changed my mind")


# ------------------------------------------------------------------ control


def test_pause_resume_abort_record_the_actor_and_source(store: Datastore, examples) -> None:
    awaiting(store, examples)
    control.pause(store, "chem", BEN, "lunch")
    assert campaigns.show(store, "chem").status_reason == "lunch"
    control.resume(store, "chem", cli_actor("carl"))
    assert control.abort(store, "chem", ANA, "wrong solvent") == [1, 2, 3]
    changes = [e for e in events(store, kind="campaign_status")]
    assert [(e.actor, e.payload["source"], e.payload["to"]) for e in changes] == [
        ("ben", "web", "paused"),
        ("carl", "cli", "active"),
        ("ana", "api", "aborted"),
    ]
    assert changes[1].payload["os_user"] == os_user()
    assert set(statuses(store).values()) == {"abandoned"}
    with pytest.raises(ControlError, match="cannot resume campaign 'chem': it is aborted"):
        control.resume(store, "chem", ANA)
    with pytest.raises(ControlError, match="no action 'stop'; use pause, resume, abort"):
        control.change(store, "chem", "stop", ANA)
    with pytest.raises(NotFoundError, match="no campaign named 'nope'"):
        control.pause(store, "nope", ANA)
    assert len(events(store, kind="campaign_status")) == 3  # the refusals wrote nothing


# ---------------------------------------------------------------- attention


def flag_one(store: Datastore, examples: Path) -> int:
    campaign, _ = campaigns.create_or_resume(store, small_campaign(examples), ANA)
    with store.session() as session:
        (e,) = repo.add_proposals(
            session, campaign, 1, [repo.NewExperiment(DESIGN)], repo.NewSnapshot("random", 0, 0.0),
            actor="tester",
        )  # fmt: skip
    for target in (S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED, S.RUNNING, S.NEEDS_ATTENTION):
        with store.session() as session:
            repo.transition(session, e.id or 0, target, actor="tester")
    return e.id or 0


def test_settling_records_the_actor_and_refuses_an_unknown_outcome(
    store: Datastore, examples: Path
) -> None:
    eid = flag_one(store, examples)
    assert [(name, e.id) for name, e in attention.flagged(store)] == [("small", eid)]
    with pytest.raises(ReviewError, match="outcome 'lost': choose completed, failed, abandoned"):
        attention.settle(store, ANA, eid, "lost", {}, "checked")
    assert statuses(store, "small") == {eid: "needs_attention"}
    done = attention.settle(store, BEN, eid, "completed", {"sty_kg_m3_h": 5123.0}, "HPLC report")
    assert done.status == "completed" and attention.flagged(store) == []
    resolved = events(store, "small", kind="resolved")[0]
    assert resolved.actor == "ben" and resolved.payload["source"] == "web"


# ------------------------------------------------------------------ devices


def test_devices_in_and_out_of_service(store: Datastore, examples: Path) -> None:
    run_campaign(store, small_campaign(examples, budget=1, batch=1), wait=False)
    names = [(r.lab, r.device) for r in devices.rows(store)]
    assert ("flow-sim", "reactor_heater") in names
    row = devices.set_stored_device(store, "flow-sim", "reactor_heater", False, BEN)
    assert not row.in_service and row.note == "taken out of service by ben"
    back = devices.set_stored_device(store, "flow-sim", "reactor_heater", True, BEN, "repaired")
    assert back.in_service and back.note == "repaired"
    with pytest.raises(devices.UnknownDeviceError, match="no device 'toaster' in lab 'flow-sim'"):
        devices.set_stored_device(store, "flow-sim", "toaster", False, BEN)
    with pytest.raises(ControlError, match="lab 'moon' is not known"):
        devices.set_in_service(store, "moon", "reactor_heater", False, BEN)
    status = devices.lab_status(store, small_campaign(examples).lab)
    assert status.served_by is None and status.out_of_service == {}


# ---------------------------------------------------------- campaigns, exports


def test_campaigns_are_created_listed_summarized_and_exported(
    store: Datastore, examples: Path, tmp_path: Path
) -> None:
    loaded = small_campaign(examples, budget=2, batch=2)
    assert not campaigns.is_stored(store, "small")
    _, existed = campaigns.create_or_resume(store, loaded, ANA)
    assert not existed and events(store, "small")[0].actor == "ana"
    run_campaign(store, loaded, wait=False)
    assert [c.name for c in campaigns.stored(store)] == ["small"]
    (summary,) = campaigns.summaries(store)
    assert summary.completed == 2 and summary.progress == 1.0
    assert campaigns.summary(store, "small").best == summary.best
    _, view = campaigns.detail(store, "small")
    assert len(view.table) == 2
    assert campaigns.show_json(store, "small")["campaign"]["name"] == "small"
    out = tmp_path / "events.csv"
    assert exports.table(store, "small", "events", "csv", out) == len(events(store, "small"))
    assert exports.experiments(store, "small", "csv", tmp_path / "e.csv") == 2
    assert len(pd.read_csv(tmp_path / "e.csv")) == 2
    with pytest.raises(ValueError, match="table 'runs': expected one of experiments, events"):
        exports.table(store, "small", "runs", "csv", out)
    with pytest.raises(NotFoundError):
        exports.table(store, "nope", "events", "csv", out)


def test_a_campaigns_page_and_its_experiments_are_read_a_page_at_a_time(
    store: Datastore, examples: Path
) -> None:
    from lab.services import experiments

    run_campaign(store, small_campaign(examples, budget=3, batch=3), wait=False)
    every = events(store, "small")
    head = campaigns.overview(store, "small", 2, 0, 4)
    assert head.summary.completed == 3 and head.last_cycle == 1
    assert [e.number for e in head.experiments.experiments] == [3, 2]
    assert head.experiments.total == 3 and set(head.experiments.results) == {
        e.id for e in head.experiments.experiments
    }
    assert [e.id for e in head.events] == sorted((e.id for e in every), reverse=True)[:4]
    older = campaigns.overview(store, "small", 2, 2, 4, before=head.events[-1].id)
    assert [e.number for e in older.experiments.experiments] == [1]
    assert older.events[0].id < head.events[-1].id
    numbered = experiments.page(store, "small", [S.COMPLETED], 2, 1)
    assert [e.number for e in numbered.experiments] == [2, 3] and numbered.total == 3
    found = experiments.one(store, numbered.experiments[0].id or 0)
    assert found.campaign == "small" and found.results == numbered.results[found.experiment.id]
    for missing in (
        lambda: campaigns.overview(store, "nope", 2),
        lambda: experiments.page(store, "nope", None, 2),
        lambda: experiments.one(store, 10**6),
    ):
        with pytest.raises(NotFoundError):
            missing()


# ----------------------------------------------------------------- planning


def test_the_preview_plans_with_the_loops_inputs_and_creates_no_file(
    tmp_path: Path, examples: Path
) -> None:
    loaded = small_campaign(examples, budget=5, batch=2, strategy="sobol", seed=4)
    missing = tmp_path / "absent.db"
    first = planning.preview_next_batch(loaded, f"sqlite:///{missing}")
    assert not missing.exists()
    expected = propose(loaded.problem, loaded.spec.strategy, [], [], 2).suggestions
    assert first == [(1 + i, dict(s.parameters)) for i, s in enumerate(expected)]
    db = f"sqlite:///{tmp_path / 'ran.db'}"
    run_campaign(Datastore(db), loaded, wait=False)  # 5 of 5: the budget is used
    state = planning.planner_state(Datastore(db), loaded)
    assert (len(state.observations), state.pending, state.first_number, state.remaining) == (
        5,
        [],
        6,
        0,
    )
    with pytest.raises(Exception, match="has used its budget of 5"):
        planning.preview_next_batch(loaded, db)


def test_preflight_of_one_design(examples: Path) -> None:
    loaded = small_campaign(examples)
    passed = preflight(loaded.spec, loaded.lab, DESIGN, 1)
    assert passed.passed and passed.steps
    hot = preflight(loaded.spec, loaded.lab, {**DESIGN, "temperature_c": 150.0}, 1)
    assert not hot.passed and "exceeds its limit 140" in (hot.problem or "")


def test_account_changes_record_the_acting_account_and_source(store: Datastore) -> None:
    terminal = cli_actor()
    accounts.add(store, terminal, "root", "admin", "a long passphrase")
    accounts.add(store, ANA, "cara", "chemist", "another passphrase")
    robot, token = accounts.add_with_token(store, BEN, "robot", "viewer")
    assert accounts.for_token(store, token) == robot
    accounts.issue_token(store, ANA, "cara")
    accounts.disable(store, BEN, "cara")
    changes = [(c.account, c.kind, c.actor, c.payload) for c in accounts.history(store, 10)]
    assert changes == [
        ("cara", "disabled", "ben", {"source": "web"}),
        ("cara", "token_issued", "ana", {"source": "api"}),
        ("robot", "token_issued", "ben", {"source": "web"}),
        ("robot", "created", "ben", {"role": "viewer", "source": "web", "initial": "token"}),
        ("cara", "created", "ana", {"role": "chemist", "source": "api", "initial": "password"}),
        (
            "root",
            "created",
            os_user(),
            {"role": "admin", "source": "cli", "os_user": os_user(), "initial": "password"},
        ),
    ]
    payloads = [str(c.payload) for c in accounts.history(store, 10)]
    assert all("passphrase" not in p and token not in p for p in payloads)


def test_an_account_is_never_left_without_its_first_token(
    store: Datastore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datastore import accounts as account_repo

    def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(account_repo, "add_token", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        accounts.add_with_token(store, BEN, "robot", "viewer")
    assert accounts.listing(store) == [] and accounts.history(store, 10) == []


def test_a_refused_account_change_records_nothing(store: Datastore) -> None:
    accounts.add(store, ANA, "cara", "chemist", "a passphrase")
    before = accounts.history(store, 10), accounts.listing(store)
    with pytest.raises(AccountError, match="exists already"):
        accounts.add(store, BEN, "cara", "viewer", "other")
    with pytest.raises(AccountError, match="no account 'nobody'"):
        accounts.disable(store, BEN, "nobody")
    with pytest.raises(AccountError, match="unknown role 'wizard'"):
        accounts.add_with_token(store, BEN, "robot", "wizard")
    assert (accounts.history(store, 10), accounts.listing(store)) == before
