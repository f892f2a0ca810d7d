"""``dbtl serve`` answers on loopback beside the datastore other commands write."""

from __future__ import annotations

import httpx
import pytest

from datastore import Datastore
from lab.cli.serve import _loopback
from lab.review.accounts import add_user, issue_token
from tests.web.server import serving


def test_loopback_addresses() -> None:
    assert _loopback("127.0.0.1") and _loopback("::1") and _loopback("localhost")
    assert not _loopback("0.0.0.0") and not _loopback("192.168.1.5") and not _loopback("lab-pc")


@pytest.mark.slow
def test_serve_answers_the_api_and_the_pages(sqlite_url: str) -> None:
    store = Datastore(sqlite_url)
    add_user(store, "ana", "chemist", "pw")
    token = issue_token(store, "ana")
    with serving(sqlite_url) as url:
        assert httpx.get(f"{url}/api/v1/me").status_code == 401
        me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json() == {"name": "ana", "role": "chemist"}
        assert "Sign in" in httpx.get(f"{url}/login").text
        assert httpx.get(f"{url}/openapi.json").json()["info"]["title"] == "dbtl"
