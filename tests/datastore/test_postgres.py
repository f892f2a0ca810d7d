"""The datastore on PostgreSQL: migrations, transitions, append-only events, concurrency."""

import pytest
import sqlalchemy

from datastore import Datastore, DatastoreError, IllegalTransitionError
from datastore import repository as repo
from datastore.states import ExperimentStatus as S
from tests.datastore.test_repository import make_campaign, propose, status_and_events, walk_to

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_store(postgres_url: str):
    store = Datastore(postgres_url)
    yield store
    store.dispose()


def test_lifecycle_on_postgres(pg_store: Datastore) -> None:
    campaign = make_campaign(pg_store)
    (eid, _) = propose(pg_store, campaign)
    walk_to(pg_store, eid, S.AWAITING_APPROVAL, S.APPROVED, S.QUEUED, S.RUNNING)
    with pg_store.session() as session:
        repo.record_result(session, eid, [repo.MeasuredValue("y", 2.0)], actor="t")
    status, events = status_and_events(pg_store, eid, campaign.id)
    assert status == "completed"
    assert events == 1 + 2 + 5


def test_illegal_transition_writes_nothing_on_postgres(pg_store: Datastore) -> None:
    campaign = make_campaign(pg_store)
    (eid, _) = propose(pg_store, campaign)
    before = status_and_events(pg_store, eid, campaign.id)
    with pytest.raises(IllegalTransitionError):
        walk_to(pg_store, eid, S.COMPLETED)
    assert status_and_events(pg_store, eid, campaign.id) == before


def test_trigger_protects_events_on_postgres(pg_store: Datastore) -> None:
    make_campaign(pg_store)
    refused = pytest.raises(sqlalchemy.exc.InternalError, match="append-only")
    with refused, pg_store.engine.begin() as connection:
        connection.execute(sqlalchemy.text("DELETE FROM event"))


def test_compare_and_set_between_processes_on_postgres(pg_store: Datastore, monkeypatch) -> None:
    campaign = make_campaign(pg_store)
    (eid, _) = propose(pg_store, campaign)
    walk_to(pg_store, eid, S.AWAITING_APPROVAL)
    real_check = repo.check_transition

    def interleaved(current: S, target: S) -> None:
        real_check(current, target)
        monkeypatch.setattr(repo, "check_transition", real_check)
        with pg_store.session() as session:  # a second connection commits first
            repo.transition(session, eid, S.APPROVED, actor="chemist-a")

    monkeypatch.setattr(repo, "check_transition", interleaved)
    lost = pytest.raises(IllegalTransitionError, match="another process")
    with lost, pg_store.session() as session:
        repo.transition(session, eid, S.REJECTED, actor="chemist-b")
    assert status_and_events(pg_store, eid, campaign.id)[0] == "approved"


def test_reopen_is_idempotent_on_postgres(postgres_url: str) -> None:
    Datastore(postgres_url).dispose()
    store = Datastore(postgres_url)
    make_campaign(store)
    with pytest.raises(DatastoreError, match="already exists"):
        make_campaign(store)
    store.dispose()
