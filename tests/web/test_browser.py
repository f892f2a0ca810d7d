"""The workbench in a real browser (Playwright driving Debian's chromium, headless).

A chemist signs in, sees a proposal of a campaign that ``dbtl run`` (another
process) is waiting on, with its molecules drawn, approves it with an edit and
watches it complete; a viewer sees no approve button and a forged POST from the
viewer's browser is refused. Never downloads a browser: without
``/usr/bin/chromium`` (``apt-get install chromium``) the tests are skipped.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from datastore import Datastore
from datastore import repository as repo
from lab.review.accounts import add_user
from tests.lab.helpers import suzuki_campaign
from tests.web.server import dbtl_env, serving

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium (apt-get install chromium); browsers are never downloaded",
    ),
]
NAME = "suzuki-web"


@pytest.fixture
def campaign_file(examples: Path) -> Path:
    suzuki_campaign(examples)  # points the lab at the shipped yield table
    path = examples / "suzuki_hte.yaml"
    text = path.read_text()
    for old, new in (
        ("name: suzuki-hte-demo", f"name: {NAME}"),
        ("budget: 48", "budget: 1"),
        ("batch_size: 24", "batch_size: 1"),
        ("approval: {policy: auto}", "approval: {policy: chemist}"),
    ):
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    return path


def sign_in(page, url: str, name: str) -> None:
    page.goto(f"{url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", "pw for " + name)
    page.click("button[type=submit]")
    page.wait_for_selector(f"text={name}")


def test_a_chemist_approves_in_the_browser_while_the_loop_runs(
    campaign_file: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    db = f"sqlite:///{tmp_path / 'web.db'}"
    store = Datastore(db)
    for name, role in (("ana", "chemist"), ("otto", "viewer")):
        add_user(store, name, role, "pw for " + name)
    command = [sys.executable, "-m", "lab.cli", "run", str(campaign_file), "--db", db]
    with serving(db) as url, sync_playwright() as playwright:
        loop = subprocess.Popen(
            [*command, "--poll", "0.5"],
            env=dbtl_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            chemist = browser.new_context().new_page()
            sign_in(chemist, url, "ana")
            chemist.goto(f"{url}/proposals")
            first = chemist.wait_for_selector("article.proposal", timeout=90_000)  # live update
            experiment_id = first.get_attribute("id").removeprefix("proposal-")
            # Later live updates may redraw the queue: address the card by id, not by handle.
            card = chemist.locator(f"#proposal-{experiment_id}")
            expect(card.locator("figure.molecule svg")).to_have_count(5)
            # electrophile, nucleophile, ligand, base, solvent

            viewer = browser.new_context()
            viewer_page = viewer.new_page()
            sign_in(viewer_page, url, "otto")
            viewer_page.goto(f"{url}/proposals")
            viewer_page.wait_for_selector("article.proposal")
            assert viewer_page.query_selector("button.approve") is None
            csrf = viewer_page.get_attribute("form.who input[name=csrf]", "value")
            forged = viewer.request.post(
                f"{url}/proposals/{experiment_id}/approve", form={"csrf": csrf or ""}
            )
            assert forged.status == 403

            solvent = card.locator("input[name='p.solvent']")
            edited = "THF" if solvent.input_value() != "THF" else "MeCN"
            solvent.fill(edited)  # an edited card is kept through live updates
            card.locator("form.approve button").click()
            chemist.wait_for_selector("p.notice", timeout=30_000)
            assert f"solvent={edited}" in chemist.inner_text("p.notice")

            chemist.goto(f"{url}/campaigns/{NAME}")
            chemist.wait_for_selector(
                "#experiments td.status.completed", timeout=120_000
            )  # appears by itself, over server-sent events
            chemist.screenshot(path=str(tmp_path / "campaign.png"), full_page=True)
            assert (tmp_path / "campaign.png").stat().st_size > 10_000
        finally:
            browser.close()
            try:
                out, _ = loop.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                loop.kill()
                out, _ = loop.communicate()
    assert loop.returncode == 0, out
    with store.session() as session:
        c = repo.get_campaign(session, NAME)
        (e,) = repo.list_experiments(session, c.id or 0)
        approvals = [
            ev for ev in repo.list_events(session, c.id or 0) if ev.to_status == "approved"
        ]
    assert e.status == "completed" and e.parameters["solvent"] == edited
    assert [(a.actor, a.payload["source"]) for a in approvals] == [("ana", "web")]


def test_a_route_proposal_shows_its_reaction_scheme(examples: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from lab.running.runner import run_campaign, with_spec
    from lab.services.route_campaigns import load_route_campaign
    from lab.specs.campaign import ApprovalSpec

    db = f"sqlite:///{tmp_path / 'route.db'}"
    store = Datastore(db)
    loaded, _ = load_route_campaign(store, examples / "route_campaign.yaml", "ci", budget=2)
    run_campaign(store, with_spec(loaded, approval=ApprovalSpec(policy="chemist")), wait=False)
    add_user(store, "ana", "chemist", "pw for ana")
    with serving(db) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            page = browser.new_context().new_page()
            sign_in(page, url, "ana")
            page.goto(f"{url}/proposals")
            card = page.wait_for_selector("article.proposal")
            schemes = card.query_selector_all("figure.scheme")
            assert schemes and all(s.query_selector("svg path") for s in schemes)
            assert ">>" in (schemes[0].get_attribute("data-reaction") or "")
            assert page.query_selector("figure.scheme script") is None
            page.screenshot(path=str(tmp_path / "scheme.png"), full_page=True)
        finally:
            browser.close()
