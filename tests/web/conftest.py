"""A datastore with a campaign awaiting approval, one account per role, and a test client."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from datastore import Datastore
from datastore import repository as repo
from lab.review.accounts import add_user, issue_token
from lab.running.runner import run_campaign
from lab.web import create_app
from tests.lab.test_approvals import chemist_campaign

ROLES = ("viewer", "operator", "chemist", "admin")
PASSWORD = "correct horse battery"


@dataclass
class Web:
    """The app under test and what it holds."""

    store: Datastore
    client: TestClient
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def ids(self, campaign: str = "chem") -> list[int]:
        with self.store.session() as session:
            c = repo.get_campaign(session, campaign)
            return [e.id or 0 for e in repo.list_experiments(session, c.id or 0)]

    def snapshot(self, campaign: str = "chem") -> tuple[list, int]:
        """Every experiment's status and parameters, and the number of events."""
        with self.store.session() as session:
            c = repo.get_campaign(session, campaign)
            rows = [(e.status, e.parameters) for e in repo.list_experiments(session, c.id or 0)]
            return rows, len(repo.list_events(session, c.id or 0))


def accounts(store: Datastore) -> dict[str, str]:
    """One account per role, named after it; their API tokens."""
    tokens = {}
    for role in ROLES:
        add_user(store, role, role, PASSWORD)
        tokens[role] = issue_token(store, role)
    return tokens


@pytest.fixture
def web(store: Datastore, examples: Path) -> Web:
    run_campaign(store, chemist_campaign(examples, budget=6, batch=3), wait=False)
    tokens = accounts(store)
    client = TestClient(create_app(store, secret_key="test"), raise_server_exceptions=False)
    return Web(store, client, tokens)
