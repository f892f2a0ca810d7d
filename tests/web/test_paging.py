"""The devices and attention lists page like the others: ``limit``/``offset`` in the API,
``?page=`` with page links on the pages."""

from __future__ import annotations

import re

import pytest

from datastore import repository as repo
from datastore.states import ExperimentStatus as S
from lab.web import pages as web_pages
from tests.web.conftest import Web
from tests.web.test_pages import login


def _flag_every_proposal(web: Web) -> list[int]:
    ids = web.ids()
    for target in (S.APPROVED, S.QUEUED, S.RUNNING, S.NEEDS_ATTENTION):
        with web.store.session() as session:
            for i in ids:
                repo.transition(session, i, target, actor="tester")
    return ids


def _devices(web: Web, query: str) -> dict:
    return web.client.get(f"/api/v1/devices{query}", headers=web.auth("viewer")).json()


def test_the_devices_api_pages_by_limit_and_offset(web: Web) -> None:
    every = _devices(web, "")
    names = [(d["lab"], d["device"]) for d in every["items"]]
    assert every["total"] == len(names) >= 4 and [n[0] for n in names] == sorted(
        n[0] for n in names
    )
    pages = [_devices(web, f"?limit=2&offset={o}") for o in range(0, len(names), 2)]
    assert all(p["total"] == len(names) and p["limit"] == 2 for p in pages)
    assert [(d["lab"], d["device"]) for p in pages for d in p["items"]] == names
    beyond = _devices(web, f"?offset={len(names)}")
    assert beyond["items"] == [] and beyond["total"] == len(names)


def test_the_attention_api_pages_by_limit_and_offset(web: Web) -> None:
    ids = _flag_every_proposal(web)
    viewer = web.auth("viewer")
    first = web.client.get("/api/v1/attention?limit=2", headers=viewer).json()
    rest = web.client.get("/api/v1/attention?limit=2&offset=2", headers=viewer).json()
    assert first["total"] == rest["total"] == len(ids) == 3
    assert [e["id"] for e in first["items"] + rest["items"]] == ids
    assert [e["campaign"] for e in rest["items"]] == ["chem"]
    bad = web.client.get("/api/v1/attention?limit=0", headers=viewer)
    assert bad.status_code == 422 and bad.json()["field"] == "limit"


def _rows(html: str, kind: str) -> list[str]:
    section = html.split(f'<section id="{kind}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<tr>\s*<td>(.*?)</td>", section.split("<tbody>", 1)[1])


def test_the_devices_page_comes_a_page_at_a_time(web: Web, monkeypatch) -> None:
    monkeypatch.setattr(web_pages, "DEVICE_ROWS", 2)
    total = _devices(web, "")["total"]
    pages = -(-total // 2)
    login(web.client, "viewer")
    first = web.client.get("/devices").text
    assert f"page 1 of {pages} ({total} devices)" in first
    assert 'href="?page=1">next →' in first and "← previous" not in first
    assert len(re.findall(r"<tr>\s*<td>", first.split("<tbody>", 1)[1])) == 2
    last = web.client.get(f"/devices?page={pages - 1}").text
    assert "← previous" in last and "next →" not in last
    assert web.client.get("/devices?page=-1").status_code == 422


def test_the_attention_page_comes_a_page_at_a_time(web: Web, monkeypatch) -> None:
    monkeypatch.setattr(web_pages, "ATTENTION_ROWS", 2)
    ids = _flag_every_proposal(web)
    login(web.client, "chemist")
    first = web.client.get("/attention").text
    second = web.client.get("/attention?page=1").text
    assert "page 1 of 2 (3 experiments)" in first and 'href="?page=1">next →' in first
    assert "page 2 of 2 (3 experiments)" in second and 'href="?page=0">← previous' in second
    shown = [int(i) for html in (first, second) for i in re.findall(r'id="resolve-(\d+)"', html)]
    assert shown == ids


@pytest.mark.parametrize("path", ["/devices", "/attention"])
def test_one_page_shows_no_page_links(web: Web, path: str) -> None:
    login(web.client, "viewer")
    html = web.client.get(path).text
    assert 'class="pager"' not in html
