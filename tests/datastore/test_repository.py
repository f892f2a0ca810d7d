import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from datastore import Datastore, DatastoreError, IllegalTransitionError, NotFoundError
from datastore import repository as repo
from datastore.models import Campaign
from datastore.states import ExperimentStatus as S


def make_campaign(store: Datastore, name: str = "c1") -> Campaign:
    with store.session() as session:
        return repo.create_campaign(
            session,
            Campaign(
                name=name,
                spec_yaml="x: 1",
                spec_hash="h",
                strategy="random",
                seed=0,
                budget=10,
                batch_size=2,
            ),
            actor="tester",
        )


def propose(store: Datastore, campaign: Campaign, n: int = 2, cycle: int = 1) -> list[int]:
    with store.session() as session:
        stored = repo.add_proposals(
            session,
            campaign,
            cycle,
            [repo.NewExperiment({"x": i}) for i in range(n)],
            repo.NewSnapshot("random", 0, 0.01),
            actor="tester",
        )
        return [e.id for e in stored if e.id is not None]


def status_and_events(store: Datastore, experiment_id: int, campaign_id: int) -> tuple[str, int]:
    with store.session() as session:
        status = repo.get_experiment(session, experiment_id).status
        return status, len(repo.list_events(session, campaign_id))


def walk_to(store: Datastore, experiment_id: int, *path: S) -> None:
    for target in path:
        with store.session() as session:
            repo.transition(session, experiment_id, target, actor="tester")


def test_campaign_creation_writes_an_event_and_names_are_unique(store: Datastore) -> None:
    campaign = make_campaign(store)
    with store.session() as session:
        events = repo.list_events(session, campaign.id)
        assert [e.kind for e in events] == ["campaign_created"]
    with pytest.raises(DatastoreError, match="already exists"):
        make_campaign(store)


def test_unknown_campaign_lists_stored_ones(store: Datastore) -> None:
    make_campaign(store, "alpha")
    with store.session() as session, pytest.raises(NotFoundError, match="stored: alpha"):
        repo.get_campaign(session, "beta")


def test_proposals_are_numbered_across_cycles_with_snapshots(store: Datastore) -> None:
    campaign = make_campaign(store)
    propose(store, campaign, 2, cycle=1)
    propose(store, campaign, 3, cycle=2)
    with store.session() as session:
        experiments = repo.list_experiments(session, campaign.id)
        assert [e.number for e in experiments] == [1, 2, 3, 4, 5]
        assert [e.cycle for e in experiments] == [1, 1, 2, 2, 2]
        assert {e.status for e in experiments} == {"proposed"}
        assert [s.cycle for s in repo.list_snapshots(session, campaign.id)] == [1, 2]
        assert repo.last_cycle(session, campaign.id) == 2


def test_every_transition_appends_one_event(store: Datastore) -> None:
    campaign = make_campaign(store)
    (eid, _) = propose(store, campaign)
    _, before = status_and_events(store, eid, campaign.id)
    walk_to(store, eid, S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED, S.RUNNING)
    status, after = status_and_events(store, eid, campaign.id)
    assert status == "running"
    assert after == before + 4
    with store.session() as session:
        last = repo.list_events(session, campaign.id)[-1]
        assert (last.from_status, last.to_status, last.actor) == ("queued", "running", "tester")


def test_illegal_transition_raises_and_writes_nothing(store: Datastore) -> None:
    campaign = make_campaign(store)
    (eid, _) = propose(store, campaign)
    before = status_and_events(store, eid, campaign.id)
    with pytest.raises(IllegalTransitionError, match="from 'proposed' to 'running'"):
        walk_to(store, eid, S.RUNNING)
    assert status_and_events(store, eid, campaign.id) == before


def test_concurrent_writer_loses_the_compare_and_set(store: Datastore, monkeypatch) -> None:
    """Another process moves the experiment between our read and our write."""
    campaign = make_campaign(store)
    (eid, _) = propose(store, campaign)
    walk_to(store, eid, S.AWAITING_APPROVAL)
    real_check = repo.check_transition

    def interleaved(current: S, target: S) -> None:
        real_check(current, target)
        monkeypatch.setattr(repo, "check_transition", real_check)
        other = Datastore(store.url, migrate=False)
        with other.session() as session:
            repo.transition(session, eid, S.APPROVED, actor="chemist-a")
        other.dispose()

    monkeypatch.setattr(repo, "check_transition", interleaved)
    with pytest.raises(DatastoreError), store.session() as session:
        repo.transition(session, eid, S.REJECTED, actor="chemist-b")
    status, _ = status_and_events(store, eid, campaign.id)
    assert status == "approved"
    with store.session() as session:
        actors = [e.actor for e in repo.list_events(session, campaign.id) if e.to_status]
        assert "chemist-b" not in actors


def test_result_and_completion_are_one_transaction(store: Datastore) -> None:
    campaign = make_campaign(store)
    (eid, _other) = propose(store, campaign)
    walk_to(store, eid, S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED, S.RUNNING)
    duplicate = [repo.MeasuredValue("y", 1.0), repo.MeasuredValue("y", 2.0)]
    with pytest.raises(IntegrityError), store.session() as session:
        repo.record_result(session, eid, duplicate, actor="tester")
    with store.session() as session:
        assert repo.get_experiment(session, eid).status == "running"
        assert repo.campaign_measurements(session, campaign.id) == {}
    with store.session() as session:
        repo.record_result(session, eid, [repo.MeasuredValue("y", 3.5, "%")], actor="tester")
    with store.session() as session:
        assert repo.get_experiment(session, eid).status == "completed"
        assert repo.campaign_measurements(session, campaign.id) == {eid: {"y": 3.5}}
        assert repo.units_of_measurements(session, campaign.id) == {"y": "%"}


def test_events_refuse_orm_edits(store: Datastore) -> None:
    campaign = make_campaign(store)
    with pytest.raises(DatastoreError, match="append-only"), store.session() as session:
        event = repo.list_events(session, campaign.id)[0]
        event.kind = "tampered"
        session.add(event)
    with store.session() as session:
        assert repo.list_events(session, campaign.id)[0].kind == "campaign_created"


def test_events_refuse_raw_sql_edits(store: Datastore, tmp_path: Path) -> None:
    make_campaign(store)
    connection = sqlite3.connect(tmp_path / "test.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute("UPDATE event SET kind = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute("DELETE FROM event")
    connection.close()


def test_reopening_is_idempotent(sqlite_url: str) -> None:
    first = Datastore(sqlite_url)
    make_campaign(first)
    first.dispose()
    second = Datastore(sqlite_url)
    with second.session() as session:
        assert [c.name for c in repo.list_campaigns(session)] == ["c1"]


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER)")
    connection.commit()
    connection.close()
    with pytest.raises(DatastoreError, match="not a dbtl database"):
        Datastore(f"sqlite:///{path}")


def test_bad_urls_have_clear_messages(tmp_path: Path) -> None:
    with pytest.raises(DatastoreError, match="invalid database URL"):
        Datastore("not a url")
    with pytest.raises(DatastoreError, match="does not exist"):
        Datastore(f"sqlite:///{tmp_path}/missing/folder/x.db")
    with pytest.raises(DatastoreError, match="cannot prepare the schema of database"):
        Datastore("postgresql+psycopg2://nobody:secret@127.0.0.1:1/none")


def test_password_is_not_echoed(tmp_path: Path) -> None:
    with pytest.raises(DatastoreError) as caught:
        Datastore("postgresql+psycopg2://nobody:hunter2@127.0.0.1:1/none")
    assert "hunter2" not in str(caught.value)


def test_locked_database_is_reported(store: Datastore, tmp_path: Path, monkeypatch) -> None:
    import datastore.engine

    campaign = make_campaign(store)
    (eid, _) = propose(store, campaign)
    locker = sqlite3.connect(tmp_path / "test.db", timeout=0.1)
    locker.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(datastore.engine, "SQLITE_BUSY_TIMEOUT_MS", 200)
    impatient = Datastore(store.url, migrate=False)
    try:
        locked = pytest.raises(DatastoreError, match="locked by another process")
        with locked, impatient.session() as session:
            repo.transition(session, eid, S.AWAITING_APPROVAL, actor="tester")
    finally:
        locker.rollback()
        locker.close()
        impatient.dispose()
    status, _ = status_and_events(store, eid, campaign.id)
    assert status == "proposed"


def test_an_unknown_campaign_among_many_names_ten_and_counts_the_rest(store: Datastore) -> None:
    for i in range(13):
        make_campaign(store, f"c{i:02d}")
    with store.session() as session, pytest.raises(NotFoundError) as raised:
        repo.get_campaign(session, "beta")
    assert "c09" in str(raised.value) and "c10" not in str(raised.value)
    assert "and 3 more: `dbtl show` lists them" in str(raised.value)
