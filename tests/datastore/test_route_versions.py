from pathlib import Path

import pytest
from sqlmodel import select

from datastore import Datastore, DatastoreError, NotFoundError
from datastore import routes as store_routes
from datastore.route_models import RouteVersion


def _facts(json: str = '{"a": 1}', key: str = "abc123") -> store_routes.RouteFacts:
    return store_routes.RouteFacts("CCO", json, key, "templates", 2, True)


def test_an_edit_adds_a_version_and_never_overwrites(tmp_path: Path) -> None:
    store = Datastore(f"sqlite:///{tmp_path / 'r.db'}")
    with store.session() as s:
        first, new = store_routes.store_proposal(s, _facts(), "me")
        again, new_again = store_routes.store_proposal(s, _facts(), "me")
        assert new and not new_again and again.id == first.id
        edited = store_routes.add_version(s, first.id or 0, _facts('{"a": 2}'), "chemist", "cooler")
        assert (edited.family, edited.version, edited.parent_id) == ("abc123", 2, first.id)
    with store.session() as s:
        rows = list(s.exec(select(RouteVersion)).all())
        assert [r.route_json for r in rows] == ['{"a": 1}', '{"a": 2}']
        assert store_routes.status_of(s, rows[0]) == "superseded"
        assert store_routes.status_of(s, rows[1]) == "proposed"


def test_a_decision_names_the_account_and_is_made_once(tmp_path: Path) -> None:
    store = Datastore(f"sqlite:///{tmp_path / 'r.db'}")
    with store.session() as s:
        row, _ = store_routes.store_proposal(s, _facts(), "me")
        store_routes.decide(s, row.id or 0, "approved", "A. Chemist", "looks fine")
    with store.session() as s:
        decision = store_routes.decision_of(s, row.id or 0)
        assert decision is not None and decision.account == "A. Chemist"
        assert [v.id for v in store_routes.approved_versions(s, "CCO")] == [row.id]
        with pytest.raises(DatastoreError, match=r"already approved by A\. Chemist"):
            store_routes.decide(s, row.id or 0, "rejected", "B", None)
        with pytest.raises(DatastoreError, match="unknown decision"):
            store_routes.decide(s, row.id or 0, "maybe", "B", None)
        with pytest.raises(NotFoundError, match="no route version 99"):
            store_routes.get_version(s, 99)
