"""A 404 names what was not found: the parameter in ``field`` and the value in the message."""

from __future__ import annotations

import pytest

from tests.web.conftest import Web

EXPERIMENTS = [
    ("get", "/api/v1/experiments/999", None),
    ("post", "/api/v1/experiments/999/approve", {}),
    ("post", "/api/v1/experiments/999/reject", {"reason": "too hot"}),
    ("post", "/api/v1/experiments/999/resolve", {"outcome": "failed", "note": "lost"}),
]
CAMPAIGNS = [
    ("get", "/api/v1/campaigns/nope", None),
    ("get", "/api/v1/campaigns/nope/experiments", None),
    ("get", "/api/v1/campaigns/nope/export?format=csv", None),
    ("get", "/api/v1/campaigns/nope/export?format=parquet", None),
    ("post", "/api/v1/campaigns/nope/pause", None),
    ("post", "/api/v1/campaigns/nope/approve-cycle", {"cycle": 1}),
]
CAMPAIGN_QUERIES = [
    ("get", "/api/v1/proposals?campaign=nope", None),
    ("get", "/api/v1/events?campaign=nope", None),
]
ACCOUNTS = [
    ("post", "/api/v1/accounts/nobody/disable", None),
    ("post", "/api/v1/accounts/nobody/tokens", None),
]


def _call(web: Web, method: str, path: str, body: dict | None, role: str = "admin") -> dict:
    response = web.client.request(method, path, json=body, headers=web.auth(role))
    assert response.status_code == 404, response.text
    assert set(response.json()) == {"message", "field"}
    return response.json()


@pytest.mark.parametrize(("method", "path", "body"), EXPERIMENTS)
def test_an_unknown_experiment_names_experiment_id(
    web: Web, method: str, path: str, body: dict | None
) -> None:
    before = web.snapshot()
    error = _call(web, method, path, body)
    assert error["field"] == "experiment_id" and "999" in error["message"]
    assert web.snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), CAMPAIGNS)
def test_an_unknown_campaign_in_the_path_names_name(
    web: Web, method: str, path: str, body: dict | None
) -> None:
    error = _call(web, method, path, body)
    assert error["field"] == "name" and "'nope'" in error["message"]


@pytest.mark.parametrize(("method", "path", "body"), CAMPAIGN_QUERIES)
def test_an_unknown_campaign_in_the_query_names_campaign(
    web: Web, method: str, path: str, body: dict | None
) -> None:
    error = _call(web, method, path, body, role="viewer")
    assert error["field"] == "campaign" and "'nope'" in error["message"]


@pytest.mark.parametrize(("method", "path", "body"), ACCOUNTS)
def test_an_unknown_account_names_name(web: Web, method: str, path: str, body: dict | None) -> None:
    error = _call(web, method, path, body)
    assert error["field"] == "name" and "'nobody'" in error["message"]


def test_an_unknown_device_names_device_and_an_unknown_route_no_field(web: Web) -> None:
    path = "/api/v1/devices/no-lab/no-device/service"
    error = _call(web, "post", path, {"in_service": False}, role="operator")
    assert error["field"] == "device" and "'no-device'" in error["message"]
    assert _call(web, "get", "/api/v1/nowhere", None)["field"] is None
