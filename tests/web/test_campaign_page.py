"""The campaign page at scale: pages of experiments and events, sampled plots, redraws."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from datastore import Datastore
from datastore.bulk import seed_campaign
from lab.running.campaigns import load_campaign, open_campaign
from lab.running.runner import with_spec
from lab.services import plots as plot_service
from lab.web import campaign_page, create_app
from lab.web import pages as web_pages
from lab.web.cache import StateCache
from tests.web.conftest import accounts
from tests.web.test_pages import login


@pytest.fixture
def big(store: Datastore, examples: Path) -> TestClient:
    """A Suzuki campaign of 130 experiments (the last 24 awaiting approval), signed in."""
    loaded = with_spec(load_campaign(examples / "suzuki_hte.yaml"), name="big", budget=200)
    campaign, _ = open_campaign(store, loaded, "test")
    choices = {p.name: list(p.choices) for p in loaded.spec.parameters}  # type: ignore[union-attr]
    design = lambda rng: {n: rng.choice(v) for n, v in choices.items()}  # noqa: E731
    seed_campaign(store, campaign.id or 0, design, 130, 1300)
    accounts(store)
    client = TestClient(create_app(store, secret_key="t"))
    login(client, "viewer")
    return client


def _numbers(html: str) -> list[int]:
    section = html[html.index('<section id="experiments"') : html.index('<section id="events"')]
    return [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", section)]


def test_experiments_come_a_page_at_a_time_newest_first(big: TestClient) -> None:
    first = big.get("/campaigns/big").text
    assert _numbers(first) == list(range(130, 80, -1)) and "page 1 of 3" in first
    last = big.get("/campaigns/big?page=2").text
    assert _numbers(last) == list(range(30, 0, -1)) and "← newer" in last
    assert big.get("/campaigns/big?page=-1").status_code == 422


def test_the_event_log_pages_by_cursor(big: TestClient) -> None:
    html = big.get("/campaigns/big").text
    ids = [int(i) for i in re.findall(r"<tr><td>(\d+)</td><td>20", html)]
    assert len(ids) == campaign_page.EVENT_ROWS and ids == sorted(ids, reverse=True)
    older = re.search(r'href="\?before=(\d+)"', html)
    assert older is not None and int(older.group(1)) == ids[-1]
    next_ids = [
        int(i)
        for i in re.findall(
            r"<tr><td>(\d+)</td><td>20", big.get(f"/campaigns/big?before={ids[-1]}").text
        )
    ]
    assert next_ids[0] < ids[-1] and len(next_ids) == campaign_page.EVENT_ROWS


def test_plots_sample_large_campaigns_and_keep_the_best(
    store: Datastore, big: TestClient, monkeypatch
) -> None:
    monkeypatch.setattr(plot_service, "PLOT_POINTS", 10)
    sample = plot_service.sample(store, "big", 106)
    best = int(sample.view.table["number"].iloc[0])
    numbers = set(sample.table["number"])
    assert sample.every == 11 and best in numbers
    assert numbers - {best} == set(range(11, 107, 11))
    assert "of 106 completed experiments drawn: every 11th" in sample.note
    assert "every 11th by number" in big.get("/campaigns/big").text


def test_the_queue_comes_a_page_at_a_time(big: TestClient, monkeypatch) -> None:
    monkeypatch.setattr(web_pages, "QUEUE_ROWS", 10)
    first = big.get("/proposals").text
    ids = re.findall(r'<article class="proposal" id="proposal-(\d+)"', first)
    assert len(ids) == 10 and "page 1 of 3 (24 proposals)" in first
    third = big.get("/proposals?page=2&campaign=big").text
    assert len(re.findall(r'<article class="proposal"', third)) == 4


def test_new_results_show_the_previous_plots_until_redrawn() -> None:
    cache: StateCache[str] = StateCache()
    assert cache.get_or_previous((1, "a"), lambda: "plots of a") == ("plots of a", True)
    release, made = threading.Event(), threading.Event()

    def slow() -> str:
        release.wait()
        made.set()
        return "plots of b"

    assert cache.get_or_previous((1, "b"), slow) == ("plots of a", False)
    assert cache.get_or_previous((1, "b"), slow) == ("plots of a", False)  # one redraw at a time
    release.set()
    made.wait()
    while cache.get_or_previous((1, "b"), slow)[1] is False:
        threading.Event().wait(0.01)
    assert cache.get_or_previous((1, "b"), slow) == ("plots of b", True)
    assert cache.get_or_previous((2, "a"), lambda: "other") == ("other", True)
