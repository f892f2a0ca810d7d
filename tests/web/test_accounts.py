"""Accounts through the API and the admin page: every change audited, other roles refused."""

from __future__ import annotations

import pytest

from lab.review.accounts import account_history, authenticate, list_users, user_for_token
from tests.web.conftest import PASSWORD, Web
from tests.web.test_pages import login

NOT_ADMINS = ("viewer", "operator", "chemist")


def _state(web: Web) -> tuple[list, list]:
    return list_users(web.store), account_history(web.store, 500)


def test_an_admin_creates_an_account_with_a_password(web: Web) -> None:
    body = {"name": "ana", "role": "chemist", "password": "a long passphrase"}
    response = web.client.post("/api/v1/accounts", json=body, headers=web.auth("admin"))
    assert response.status_code == 201, response.text
    assert response.json() == {
        "account": {"name": "ana", "role": "chemist", "disabled": False},
        "token": None,
    }
    assert "a long passphrase" not in response.text
    assert authenticate(web.store, "ana", "a long passphrase") is not None
    (change,) = account_history(web.store, 10)
    assert (change.account, change.kind, change.actor) == ("ana", "created", "admin")
    assert change.payload == {"role": "chemist", "source": "api", "initial": "password"}


def test_without_a_password_the_account_gets_a_token_shown_once(web: Web) -> None:
    body = {"name": "robot", "role": "operator"}
    created = web.client.post("/api/v1/accounts", json=body, headers=web.auth("admin")).json()
    token = created["token"]
    assert token and user_for_token(web.store, token).name == "robot"
    me = web.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json() == {"name": "robot", "role": "operator"}
    kinds = [(c.kind, c.actor) for c in account_history(web.store, 10)]
    assert kinds == [("token_issued", "admin"), ("created", "admin")]
    assert all(token not in str(c.payload) for c in account_history(web.store, 10))


def test_an_admin_disables_and_issues_tokens(web: Web) -> None:
    issued = web.client.post("/api/v1/accounts/chemist/tokens", headers=web.auth("admin"))
    assert issued.status_code == 201 and user_for_token(web.store, issued.json()["token"])
    disabled = web.client.post("/api/v1/accounts/chemist/disable", headers=web.auth("admin"))
    assert disabled.json() == {"name": "chemist", "role": "chemist", "disabled": True}
    assert web.client.get("/api/v1/me", headers=web.auth("chemist")).status_code == 401
    assert [c.kind for c in account_history(web.store, 10)] == ["disabled", "token_issued"]
    events = web.client.get("/api/v1/account-events", headers=web.auth("admin")).json()
    newest = events["items"][0]
    assert (newest["account"], newest["kind"], newest["actor"]) == (
        "chemist",
        "disabled",
        "admin",
    )


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_other_roles_are_refused_and_nothing_changes(web: Web, role: str) -> None:
    before = _state(web)
    calls = [
        ("post", "/api/v1/accounts", {"name": "eve", "role": "admin", "password": "x"}),
        ("post", "/api/v1/accounts/viewer/disable", None),
        ("post", "/api/v1/accounts/viewer/tokens", None),
        ("get", "/api/v1/accounts", None),
        ("get", "/api/v1/account-events", None),
    ]
    for method, path, body in calls:
        response = web.client.request(method, path, json=body, headers=web.auth(role))
        assert response.status_code == 403, (path, response.text)
        assert "needs admin" in response.json()["message"]
    assert _state(web) == before


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "viewer", "role": "viewer", "password": "pw"}, 409, "name"),
        ({"name": "bad name!", "role": "viewer", "password": "pw"}, 422, "name"),
        ({"name": "policy:auto", "role": "viewer", "password": "pw"}, 422, "name"),
        ({"name": "bob", "role": "god", "password": "pw"}, 422, "role"),
        ({"name": "bob", "role": "viewer", "password": "   "}, 422, "password"),
        ({"name": "bob", "role": "viewer", "password": ""}, 422, "password"),
    ],
)
def test_bad_accounts_are_refused_naming_the_field(
    web: Web, body: dict, status: int, field: str
) -> None:
    before = _state(web)
    response = web.client.post("/api/v1/accounts", json=body, headers=web.auth("admin"))
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    if body["password"].strip():
        assert body["password"] not in response.json()["message"]
    assert _state(web) == before


def test_unknown_accounts_and_self_disable(web: Web) -> None:
    missing = web.client.post("/api/v1/accounts/nobody/disable", headers=web.auth("admin"))
    assert missing.status_code == 404 and missing.json()["field"] == "name"
    itself = web.client.post("/api/v1/accounts/admin/disable", headers=web.auth("admin"))
    assert itself.status_code == 409
    assert web.client.get("/api/v1/me", headers=web.auth("admin")).status_code == 200


def test_the_admin_page_creates_disables_and_shows_a_token_once(web: Web) -> None:
    csrf = login(web.client, "admin")
    page = web.client.get("/accounts")
    assert page.status_code == 200 and 'name="password"' in page.text
    form = {"csrf": csrf, "name": "ana", "role": "chemist", "password": "secret pass 1"}
    created = web.client.post("/accounts", data=form)
    assert "account ana (chemist) created" in created.text and "secret pass 1" not in created.text
    token = web.client.post("/accounts/ana/token", data={"csrf": csrf})
    assert token.status_code == 200 and 'id="new-token"' in token.text
    assert token.headers["cache-control"] == "no-store"
    assert 'id="new-token"' not in web.client.get("/accounts").text  # shown once
    web.client.post("/accounts/ana/disable", data={"csrf": csrf})
    assert authenticate(web.store, "ana", "secret pass 1") is None
    kinds = [
        (c.account, c.kind, c.actor, c.payload["source"]) for c in account_history(web.store, 5)
    ]
    assert kinds == [
        ("ana", "disabled", "admin", "web"),
        ("ana", "token_issued", "admin", "web"),
        ("ana", "created", "admin", "web"),
    ]
    again = web.client.post("/accounts", data=form)
    assert again.status_code == 409 and "exists already" in again.text
    assert "secret pass 1" not in again.text


def test_the_admin_page_refuses_forged_forms_and_other_roles(web: Web) -> None:
    before = _state(web)
    login(web.client, "admin")
    form = {"csrf": "forged", "name": "eve", "role": "admin", "password": "pw"}
    assert web.client.post("/accounts", data=form).status_code == 403
    web.client.cookies.clear()
    csrf = login(web.client, "chemist")
    assert web.client.get("/accounts").status_code == 403
    form["csrf"] = csrf
    assert web.client.post("/accounts", data=form).status_code == 403
    assert web.client.post("/accounts/viewer/disable", data={"csrf": csrf}).status_code == 403
    assert web.client.post("/accounts/viewer/token", data={"csrf": csrf}).status_code == 403
    assert _state(web) == before
    assert authenticate(web.store, "viewer", PASSWORD) is not None


def test_the_audit_names_the_acting_admin_not_another(web: Web) -> None:
    from lab.review.accounts import add_user, issue_token

    add_user(web.store, "root", "admin", PASSWORD)
    headers = {"Authorization": f"Bearer {issue_token(web.store, 'root')}"}
    body = {"name": "robot", "role": "viewer"}
    assert web.client.post("/api/v1/accounts", json=body, headers=headers).status_code == 201
    assert web.client.post("/api/v1/accounts/robot/tokens", headers=headers).status_code == 201
    assert web.client.post("/api/v1/accounts/robot/disable", headers=headers).status_code == 200
    csrf = login(web.client, "root")
    form = {"csrf": csrf, "name": "ana", "role": "chemist", "password": "secret pass 1"}
    assert web.client.post("/accounts", data=form).status_code == 200
    changes = [
        (c.account, c.kind, c.actor, c.payload["source"]) for c in account_history(web.store, 10)
    ]
    assert changes == [
        ("ana", "created", "root", "web"),
        ("robot", "disabled", "root", "api"),
        ("robot", "token_issued", "root", "api"),
        ("robot", "token_issued", "root", "api"),
        ("robot", "created", "root", "api"),
    ]
