"""The pages: sign-in (rate-limited), role-aware views, form posts with CSRF, live events."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from datastore import Datastore
from datastore import repository as repo
from lab.running.runner import run_campaign, with_spec
from lab.specs.campaign import ApprovalSpec
from lab.web import create_app
from tests.lab.helpers import small_campaign, suzuki_campaign
from tests.web.conftest import PASSWORD, Web, accounts


def login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Sign in; return the CSRF token of the session's forms."""
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = client.post(
        "/login", data={"name": name, "password": password, "csrf": token, "next": "/"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303, response.text
    home = client.get("/")
    return re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)


def test_login_sets_a_safe_cookie_and_pages_need_it(web: Web) -> None:
    assert web.client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    form = web.client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = web.client.post(
        "/login", data={"name": "chemist", "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )  # fmt: skip
    cookie = response.headers["set-cookie"]
    assert "dbtl_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = web.client.get("/")
    assert page.status_code == 200 and "chem" in page.text and "chemist" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]


def test_logins_are_rate_limited_per_account_and_address(web: Web) -> None:
    for _ in range(5):
        form = web.client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        wrong = web.client.post("/login", data={"name": "admin", "password": "x", "csrf": token})
        assert wrong.status_code == 401 and "wrong name or password" in wrong.text
    form = web.client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    blocked = web.client.post("/login", data={"name": "admin", "password": PASSWORD, "csrf": token})
    assert blocked.status_code == 429 and "too many failed attempts" in blocked.text
    login(web.client, "viewer")  # another account from the same address still signs in


def test_login_without_its_csrf_token_is_refused(web: Web) -> None:
    response = web.client.post("/login", data={"name": "admin", "password": PASSWORD})
    assert response.status_code == 403 and "dbtl_session" not in response.headers.get(
        "set-cookie", ""
    )


def test_a_viewer_sees_everything_but_no_decision_buttons(web: Web) -> None:
    login(web.client, "viewer")
    for path in ("/", "/campaigns/chem", "/proposals", "/devices", "/attention"):
        page = web.client.get(path)
        assert page.status_code == 200, path
    queue = web.client.get("/proposals").text
    assert "Your role (viewer) may look but not decide." in queue
    assert "/approve" not in queue and "/reject" not in queue and "Approve" not in queue
    assert "space-filling" in queue and "pre-flight" in queue and "set_temperature" in queue
    assert "Pause" not in web.client.get("/campaigns/chem").text


def test_a_forged_post_is_refused_and_changes_nothing(web: Web) -> None:
    first = web.ids()[0]
    before = web.snapshot()
    anonymous = web.client.post(f"/proposals/{first}/approve", data={"csrf": "x"})
    assert anonymous.status_code == 401
    csrf = login(web.client, "viewer")
    as_viewer = web.client.post(f"/proposals/{first}/approve", data={"csrf": csrf})
    assert as_viewer.status_code == 403 and "this needs chemist" in as_viewer.text
    web.client.cookies.clear()
    login(web.client, "chemist")
    for token in ("", "forged"):
        no_token = web.client.post(f"/proposals/{first}/approve", data={"csrf": token})
        assert no_token.status_code == 403 and "security token" in no_token.text
    assert web.snapshot() == before


def test_a_chemist_approves_with_an_edit_rejects_and_batch_approves(web: Web) -> None:
    csrf = login(web.client, "chemist")
    queue = web.client.get("/proposals").text
    assert 'name="p.temperature_c"' in queue and "Approve all of cycle 1" in queue
    first, second, third = web.ids()
    with web.store.session() as session:
        proposed = repo.get_experiment(session, first).parameters
    form = {f"p.{k}": str(v) for k, v in proposed.items()} | {
        f"orig.{k}": str(v) for k, v in proposed.items()
    }
    form |= {"p.temperature_c": "80", "comment": "cooler", "csrf": csrf}
    done = web.client.post(f"/proposals/{first}/approve", data=form)
    assert (
        done.status_code == 200 and "approved #1" in done.text and "temperature_c=80" in done.text
    )
    refused = web.client.post(f"/proposals/{second}/reject", data={"csrf": csrf, "reason": " "})
    assert refused.status_code == 422 and "needs a reason" in refused.text
    rejected = web.client.post(f"/proposals/{second}/reject", data={"csrf": csrf, "reason": "no"})
    assert "rejected #2" in rejected.text
    batch = web.client.post(
        "/proposals/approve-cycle", data={"csrf": csrf, "campaign": "chem", "cycle": "1"}
    )
    assert "approved 1 proposal(s) of cycle 1" in batch.text
    statuses = [s for s, _ in web.snapshot()[0]]
    assert statuses == ["approved", "rejected", "approved"]
    with web.store.session() as session:
        e = repo.get_experiment(session, first)
        trail = repo.list_events(session, e.campaign_id)
    assert e.parameters["temperature_c"] == 80.0
    decided = [
        ev for ev in trail if ev.kind == "edited" or ev.to_status in ("approved", "rejected")
    ]
    assert {(ev.actor, ev.payload["source"]) for ev in decided} == {("chemist", "web")}
    assert third


def test_a_bad_edit_is_shown_and_changes_nothing(web: Web) -> None:
    csrf = login(web.client, "chemist")
    first = web.ids()[0]
    before = web.snapshot()
    page = web.client.post(
        f"/proposals/{first}/approve",
        data={"csrf": csrf, "p.temperature_c": "150", "orig.temperature_c": "60"},
    )
    assert page.status_code == 422 and "edit refused" in page.text and "150" in page.text
    assert web.snapshot() == before


def test_operators_control_campaigns_and_devices(web: Web) -> None:
    csrf = login(web.client, "operator")
    assert "Pause" in web.client.get("/campaigns/chem").text
    paused = web.client.post("/campaigns/chem/pause", data={"csrf": csrf, "reason": "lunch"})
    assert "paused chem" in paused.text and "Resume" in paused.text
    devices = web.client.get("/devices").text
    lab, device = re.search(r'action="/devices/([^/]+)/([^/]+)/service"', devices).groups()
    out = web.client.post(
        f"/devices/{lab}/{device}/service", data={"csrf": csrf, "in_service": "0", "note": "leak"}
    )
    assert f"{lab}/{device} is out of service" in out.text and "out: leak" in out.text
    chemist_only = web.client.post("/proposals/approve-cycle", data={"csrf": csrf, "cycle": "1"})
    assert chemist_only.status_code == 403


def test_sign_out_needs_the_token_and_ends_the_session(web: Web) -> None:
    csrf = login(web.client, "viewer")
    assert web.client.post("/logout", data={"csrf": "forged"}).status_code == 403
    assert web.client.get("/", follow_redirects=False).status_code == 200
    web.client.post("/logout", data={"csrf": csrf})
    assert web.client.get("/", follow_redirects=False).status_code == 303


def test_unknown_pages_are_html_without_internals(web: Web) -> None:
    login(web.client, "viewer")
    missing = web.client.get("/campaigns/nope")
    assert missing.status_code == 404 and "no campaign" in missing.text.lower()
    assert missing.headers["content-type"].startswith("text/html")


def test_live_events_stream_new_changes(web: Web) -> None:
    web.client.app.state.live_max_s = 0.3  # type: ignore[attr-defined]
    assert web.client.get("/live").status_code == 401
    login(web.client, "chemist")
    with web.store.session() as session:
        events = repo.list_events(session, repo.get_campaign(session, "chem").id)
    stream = web.client.get(f"/live?after={events[-2].id}")
    assert stream.headers["content-type"].startswith("text/event-stream")
    ids = re.findall(r"^id: (\d+)$", stream.text, flags=re.M)
    assert ids == [str(events[-1].id)] and f'"kind": "{events[-1].kind}"' in stream.text
    resumed = web.client.get("/live", headers={"Last-Event-ID": str(events[-3].id)})
    assert re.findall(r"^id: (\d+)$", resumed.text, flags=re.M) == [
        str(events[-2].id),
        str(events[-1].id),
    ]


@pytest.mark.slow
def test_molecules_are_drawn_in_the_queue(store: Datastore, examples: Path) -> None:
    loaded = suzuki_campaign(examples, budget=4, batch=4)
    run_campaign(store, with_spec(loaded, approval=ApprovalSpec(policy="chemist")), wait=False)
    accounts(store)
    client = TestClient(create_app(store, secret_key="t"))
    login(client, "chemist")
    queue = client.get("/proposals").text
    figures = re.findall(r'<figure class="molecule" data-smiles="([^"]+)"><svg', queue)
    assert len(figures) >= 4 * 5 and "Approve all of cycle" in queue


@pytest.mark.slow
def test_the_campaign_page_plots_results(store: Datastore, examples: Path) -> None:
    run_campaign(store, small_campaign(examples, budget=4, batch=2), wait=True)
    accounts(store)
    client = TestClient(create_app(store, secret_key="t"))
    login(client, "viewer")
    page = client.get("/campaigns/small").text
    assert "Best so far per cycle</figcaption><svg" in page
    assert "Each parameter against the objective</figcaption><svg" in page
    assert page.count("<tr>") >= 4 and "completed" in page


@pytest.mark.parametrize("path", ["/static/live.js", "/static/style.css"])
def test_static_files_ship_with_the_package(web: Web, path: str) -> None:
    assert web.client.get(path).status_code == 200


def test_the_campaign_page_follows_every_change(web: Web) -> None:
    csrf = login(web.client, "chemist")
    assert web.client.get("/campaigns/chem").text.count("status awaiting_approval") == 3
    first = web.ids()[0]
    web.client.post(f"/proposals/{first}/reject", data={"csrf": csrf, "reason": "no"})
    page = web.client.get("/campaigns/chem").text  # a new event: not the cached view
    assert page.count("status awaiting_approval") == 2 and "status rejected" in page


@pytest.mark.parametrize("target", ["https://evil.example", "//evil.example", "/\\evil.example"])
def test_sign_in_never_redirects_off_site(web: Web, target: str) -> None:
    form = web.client.get(f"/login?next={target}")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    response = web.client.post(
        "/login",
        data={"name": "viewer", "password": PASSWORD, "csrf": token, "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
