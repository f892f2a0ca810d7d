"""The REST API: every endpoint and role; errors are JSON naming the field; nothing changes."""

from __future__ import annotations

import dataclasses
import io

import pandas as pd
import pytest

from datastore import repository as repo
from datastore.states import ExperimentStatus as S
from lab.review.overview import DeviceRow
from tests.web.conftest import ROLES, Web

READS = [
    "/api/v1/me",
    "/api/v1/campaigns",
    "/api/v1/campaigns/chem",
    "/api/v1/campaigns/chem/experiments",
    "/api/v1/proposals?campaign=chem",
    "/api/v1/events?campaign=chem",
    "/api/v1/devices",
    "/api/v1/attention",
    "/api/v1/campaigns/chem/export?format=csv",
]


def test_every_role_reads_and_nobody_else(web: Web) -> None:
    for path in READS:
        for role in ROLES:
            assert web.client.get(path, headers=web.auth(role)).status_code == 200, (path, role)
        anonymous = web.client.get(path)
        assert anonymous.status_code == 401, path
        assert anonymous.json()["field"] == "Authorization"
        assert anonymous.headers["www-authenticate"] == "Bearer"
        forged = web.client.get(path, headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401 and "unknown or disabled" in forged.json()["message"]


def test_a_disabled_account_token_stops_working(web: Web) -> None:
    from lab.review.accounts import disable_user

    assert web.client.get("/api/v1/me", headers=web.auth("chemist")).status_code == 200
    disable_user(web.store, "chemist")
    assert web.client.get("/api/v1/me", headers=web.auth("chemist")).status_code == 401


def test_campaigns_show_status_progress_and_best(web: Web) -> None:
    page = web.client.get("/api/v1/campaigns", headers=web.auth("viewer")).json()
    assert page["total"] == 1 and page["limit"] == 50 and page["offset"] == 0
    (c,) = page["items"]
    assert c["name"] == "chem" and c["status"] == "active" and c["approval_policy"] == "chemist"
    assert c["counts"] == {"awaiting_approval": 3} and c["awaiting_approval"] == 3
    assert c["progress"] == 0.0 and c["best"] == {}
    assert c["objectives"] == [{"name": "sty_kg_m3_h", "direction": "maximize"}]
    detail = web.client.get("/api/v1/campaigns/chem", headers=web.auth("viewer")).json()
    assert detail["parameters"][0] == "residence_time_min" and detail["best_so_far"] == []
    missing = web.client.get("/api/v1/campaigns/nope", headers=web.auth("viewer"))
    assert missing.status_code == 404 and "nope" in missing.json()["message"]


def test_proposals_carry_prediction_why_flags_protocol_and_preflight(web: Web) -> None:
    page = web.client.get("/api/v1/proposals", headers=web.auth("viewer")).json()
    assert page["total"] == 3 and len(page["items"]) == 3
    first = page["items"][0]
    assert first["experiment"]["status"] == "awaiting_approval"
    assert set(first["experiment"]["parameters"]) >= {"temperature_c", "equivalents"}
    assert "space-filling" in first["rationale"]
    assert first["preflight"] == "passed" and first["flags"] == []
    assert any("set_temperature" in line for line in first["protocol"])
    assert first["molecules"] == {}
    small = web.client.get("/api/v1/proposals?limit=2&offset=2", headers=web.auth("viewer"))
    assert [p["experiment"]["number"] for p in small.json()["items"]] == [3]


def test_a_chemist_approves_with_an_edit_and_rejects_with_a_reason(web: Web) -> None:
    first, second, _ = web.ids()
    approved = web.client.post(
        f"/api/v1/experiments/{first}/approve",
        json={"edits": {"temperature_c": 80}, "comment": "cooler"},
        headers=web.auth("chemist"),
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert approved.json()["parameters"]["temperature_c"] == 80.0
    rejected = web.client.post(
        f"/api/v1/experiments/{second}/reject",
        json={"reason": "stock not available"},
        headers=web.auth("chemist"),
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["error"] == "stock not available"
    events = web.client.get("/api/v1/events?campaign=chem", headers=web.auth("viewer")).json()
    decided = [e for e in events["items"] if e["kind"] == "edited" or e["to_status"] in (
        "approved", "rejected")]  # fmt: skip
    assert [(e["actor"], e["payload"]["source"]) for e in decided] == [("chemist", "api")] * 3
    again = web.client.post(
        f"/api/v1/experiments/{first}/reject", json={"reason": "x"}, headers=web.auth("admin")
    )
    assert again.status_code == 409 and "already decided" in again.json()["message"]


@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_roles_below_chemist_may_not_decide_and_nothing_changes(web: Web, role: str) -> None:
    first, _, _ = web.ids()
    before = web.snapshot()
    for path, body in (
        (f"/api/v1/experiments/{first}/approve", {"edits": {}}),
        (f"/api/v1/experiments/{first}/reject", {"reason": "no"}),
        ("/api/v1/campaigns/chem/approve-cycle", {"cycle": 1}),
        (f"/api/v1/experiments/{first}/resolve", {"outcome": "failed", "note": "x"}),
    ):
        refused = web.client.post(path, json=body, headers=web.auth(role))
        assert refused.status_code == 403, path
        assert f"is a {role}; this needs chemist or above" in refused.json()["message"]
    assert web.snapshot() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"edits": {"temperature_c": 150}}, "edits.temperature_c", "150"),
        ({"edits": {"temp": 80}}, "edits.temp", "unknown parameter 'temp'"),
        ({"edits": {"temperature_c": "hot"}}, "edits.temperature_c", "hot"),
        ({"edits": {"temperature_c": [1]}}, "edits.temperature_c", "edits.temperature_c"),
        ({"comment": 5}, "comment", "comment"),
    ],
)
def test_bad_edits_are_422_naming_the_field(web: Web, body: dict, field: str, message: str) -> None:
    first, _, _ = web.ids()
    before = web.snapshot()
    response = web.client.post(
        f"/api/v1/experiments/{first}/approve", json=body, headers=web.auth("chemist")
    )
    assert response.status_code == 422
    assert response.json()["field"] == field and message in response.json()["message"]
    assert web.snapshot() == before


def test_unknown_experiments_and_empty_reasons(web: Web) -> None:
    chemist = web.auth("chemist")
    missing = web.client.post("/api/v1/experiments/999/approve", json={}, headers=chemist)
    assert missing.status_code == 404 and "no experiment with id 999" in missing.json()["message"]
    first = web.ids()[0]
    before = web.snapshot()
    for reason in ("", "   "):
        empty = web.client.post(
            f"/api/v1/experiments/{first}/reject", json={"reason": reason}, headers=chemist
        )
        assert empty.status_code == 422 and empty.json()["field"] == "reason"
    assert web.snapshot() == before
    assert web.client.get("/api/v1/experiments/999", headers=chemist).status_code == 404


def test_batch_approval_of_a_cycle(web: Web) -> None:
    chemist = web.auth("chemist")
    done = web.client.post(
        "/api/v1/campaigns/chem/approve-cycle", json={"cycle": 1}, headers=chemist
    )
    assert [e["status"] for e in done.json()] == ["approved"] * 3
    none_left = web.client.post(
        "/api/v1/campaigns/chem/approve-cycle", json={"cycle": 1}, headers=chemist
    )
    assert (
        none_left.status_code == 422
        and "no proposals await approval" in none_left.json()["message"]
    )


def test_operators_pause_resume_abort_and_viewers_may_not(web: Web) -> None:
    for action in ("pause", "resume", "abort"):
        refused = web.client.post(f"/api/v1/campaigns/chem/{action}", headers=web.auth("viewer"))
        assert refused.status_code == 403
    assert web.snapshot()[0][0][0] == "awaiting_approval"
    operator = web.auth("operator")
    paused = web.client.post(
        "/api/v1/campaigns/chem/pause", json={"reason": "lunch"}, headers=operator
    )
    assert paused.json() == {"name": "chem", "status": "paused", "abandoned": []}
    twice = web.client.post("/api/v1/campaigns/chem/pause", headers=operator)
    assert twice.status_code == 409 and "it is paused" in twice.json()["message"]
    assert web.client.post("/api/v1/campaigns/chem/resume", headers=operator).status_code == 200
    aborted = web.client.post("/api/v1/campaigns/chem/abort", headers=operator).json()
    assert aborted["status"] == "aborted" and aborted["abandoned"] == [1, 2, 3]
    first = web.ids()[0]
    late = web.client.post(
        f"/api/v1/experiments/{first}/approve", json={}, headers=web.auth("chemist")
    )
    assert late.status_code == 409 and "aborted" in late.json()["message"]
    with web.store.session() as session:
        trail = repo.list_events(session, repo.get_campaign(session, "chem").id or 0)
    status_events = [e for e in trail if e.kind == "campaign_status"]
    assert [(e.actor, e.payload["source"]) for e in status_events] == [("operator", "api")] * 3


def test_experiments_filter_by_status_and_paginate(web: Web) -> None:
    viewer = web.auth("viewer")
    web.client.post(
        f"/api/v1/experiments/{web.ids()[0]}/approve", json={}, headers=web.auth("chemist")
    )
    page = web.client.get(
        "/api/v1/campaigns/chem/experiments?status=approved", headers=viewer
    ).json()
    assert page["total"] == 1 and page["items"][0]["number"] == 1
    page = web.client.get(
        "/api/v1/campaigns/chem/experiments?limit=2&offset=1", headers=viewer
    ).json()
    assert page["total"] == 3 and [e["number"] for e in page["items"]] == [2, 3]
    bad = web.client.get("/api/v1/campaigns/chem/experiments?status=done", headers=viewer)
    assert bad.status_code == 422 and bad.json()["field"].startswith("status")
    too_many = web.client.get("/api/v1/campaigns/chem/experiments?limit=501", headers=viewer)
    assert too_many.status_code == 422 and too_many.json()["field"] == "limit"


def test_events_page_by_cursor(web: Web) -> None:
    viewer = web.auth("viewer")
    first = web.client.get("/api/v1/events?limit=2", headers=viewer).json()
    assert len(first["items"]) == 2 and first["items"][0]["kind"] == "campaign_created"
    rest = web.client.get(f"/api/v1/events?after={first['next_after']}", headers=viewer).json()
    assert rest["items"][0]["id"] > first["next_after"]
    end = web.client.get(f"/api/v1/events?after={rest['next_after']}", headers=viewer).json()
    assert end == {"items": [], "next_after": rest["next_after"]}
    assert web.client.get("/api/v1/events?campaign=nope", headers=viewer).status_code == 404


def test_export_csv_and_parquet(web: Web) -> None:
    viewer = web.auth("viewer")
    csv = web.client.get("/api/v1/campaigns/chem/export?format=csv", headers=viewer)
    assert csv.headers["content-type"].startswith("text/csv")
    assert len(pd.read_csv(io.StringIO(csv.text))) == 3
    parquet = web.client.get("/api/v1/campaigns/chem/export?format=parquet", headers=viewer)
    assert len(pd.read_parquet(io.BytesIO(parquet.content))) == 3
    bad = web.client.get("/api/v1/campaigns/chem/export?format=xlsx", headers=viewer)
    assert bad.status_code == 422 and bad.json()["field"] == "format"
    assert web.client.get("/api/v1/campaigns/nope/export", headers=viewer).status_code == 404


def test_devices_and_service_by_operators_only(web: Web) -> None:
    devices = web.client.get("/api/v1/devices", headers=web.auth("viewer")).json()
    names = {(d["lab"], d["device"]) for d in devices["items"]}
    assert ("snar-flow-bench", "reactor_heater") in names or len(names) >= 4
    lab, device = sorted(names)[0]
    path = f"/api/v1/devices/{lab}/{device}/service"
    body = {"in_service": False, "note": "seal leaking"}
    assert web.client.post(path, json=body, headers=web.auth("viewer")).status_code == 403
    out = web.client.post(path, json=body, headers=web.auth("operator"))
    assert out.status_code == 200 and out.json()["in_service"] is False
    assert out.json()["note"] == "seal leaking"
    unknown = web.client.post(
        f"/api/v1/devices/{lab}/nope/service", json=body, headers=web.auth("admin")
    )
    assert unknown.status_code == 404 and unknown.json()["field"] == "device"


def test_a_device_shows_and_documents_every_field_of_its_row(web: Web) -> None:
    fields = [f.name for f in dataclasses.fields(DeviceRow)]
    devices = web.client.get("/api/v1/devices", headers=web.auth("viewer")).json()["items"]
    assert devices and all(list(d) == fields for d in devices)
    schema = web.client.get("/openapi.json").json()["components"]["schemas"]["DeviceOut"]
    assert list(schema["properties"]) == fields and schema["required"] == fields


def test_attention_is_settled_by_a_chemist(web: Web) -> None:
    first = web.ids()[0]
    for target in (S.APPROVED, S.QUEUED, S.RUNNING, S.NEEDS_ATTENTION):
        with web.store.session() as session:
            repo.transition(session, first, target, actor="tester")
    flagged = web.client.get("/api/v1/attention", headers=web.auth("viewer")).json()
    assert [e["id"] for e in flagged["items"]] == [first]
    chemist = web.auth("chemist")
    missing = web.client.post(
        f"/api/v1/experiments/{first}/resolve",
        json={"outcome": "completed", "note": "from the HPLC report"},
        headers=chemist,
    )
    assert missing.status_code == 422 and "sty_kg_m3_h" in missing.json()["message"]
    done = web.client.post(
        f"/api/v1/experiments/{first}/resolve",
        json={"outcome": "completed", "values": {"sty_kg_m3_h": 5000}, "note": "HPLC report"},
        headers=chemist,
    )
    assert done.json()["status"] == "completed" and done.json()["results"] == {
        "sty_kg_m3_h": 5000.0
    }


def test_accounts_are_for_admins(web: Web) -> None:
    assert web.client.get("/api/v1/accounts", headers=web.auth("chemist")).status_code == 403
    listed = web.client.get("/api/v1/accounts", headers=web.auth("admin")).json()
    assert [a["name"] for a in listed] == list(ROLES)
    assert all(set(a) == {"name", "role", "disabled"} for a in listed)


def test_errors_never_show_internals(web: Web, monkeypatch) -> None:
    import lab.web.api as api

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internals at /srv/db")

    monkeypatch.setattr(api, "campaign_summaries", broken)
    response = web.client.get("/api/v1/campaigns", headers=web.auth("viewer"))
    assert response.status_code == 500
    assert response.json() == {
        "message": "internal error; the server log has the details",
        "field": None,
    }
    assert "secret" not in response.text
    unknown = web.client.get("/api/v1/nothing-here", headers=web.auth("viewer"))
    assert unknown.status_code == 404 and set(unknown.json()) == {"message", "field"}


def test_openapi_documents_every_route_with_response_models(web: Web) -> None:
    schema = web.client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/campaigns",
        "/api/v1/campaigns/{name}",
        "/api/v1/campaigns/{name}/experiments",
        "/api/v1/proposals",
        "/api/v1/experiments/{experiment_id}/approve",
        "/api/v1/experiments/{experiment_id}/reject",
        "/api/v1/campaigns/{name}/pause",
        "/api/v1/campaigns/{name}/resume",
        "/api/v1/campaigns/{name}/abort",
        "/api/v1/campaigns/{name}/export",
        "/api/v1/events",
        "/api/v1/devices",
    ):
        assert path in paths, path
    approve = paths["/api/v1/experiments/{experiment_id}/approve"]["post"]
    assert approve["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ExperimentOut"
    )
    for status in ("401", "403", "404", "409", "422"):
        assert approve["responses"][status]["content"]["application/json"]["schema"][
            "$ref"
        ].endswith("ErrorBody")
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


def test_a_body_that_is_not_json_is_422(web: Web) -> None:
    first = web.ids()[0]
    response = web.client.post(
        f"/api/v1/experiments/{first}/approve",
        content=b"{not json",
        headers={**web.auth("chemist"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422 and response.json()["field"] == "body"
