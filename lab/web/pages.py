"""The pages: sign-in, campaigns, one campaign, the approval queue, devices, attention."""

from __future__ import annotations

import secrets
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from datastore import Datastore
from lab.review.accounts import Role
from lab.review.decisions import ProposalView
from lab.review.overview import molecules
from lab.services import accounts as account_service
from lab.services import attention as attention_service
from lab.services import campaigns as campaign_service
from lab.services import devices as device_service
from lab.services import plots as plot_service
from lab.services import review as review_service
from lab.web import campaign_page
from lab.web.auth import SESSION_COOKIE, SESSION_MAX_AGE_S, Session, SessionSigner, store_of
from lab.web.chemdraw import molecule_svg
from lab.web.render import form_of, page, signed_in
from lab.web.schemes import reaction_schemes

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "dbtl_login_csrf"
LOGIN_CSRF_MAX_AGE_S = 3600
QUEUE_ROWS = 50
"""Proposals per page of the approval queue."""
DEVICE_ROWS = 50
"""Devices per page of the devices page."""
ATTENTION_ROWS = 50
"""Experiments per page of the attention page."""
PageNumber = Annotated[int, Query(alias="page", ge=0, le=10**6, description="page, from 0")]


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in form (with its own CSRF token, as there is no session yet)."""
    token = secrets.token_urlsafe(24)
    response = page(request, "login.html", None, next=_local(next), login_csrf=token)
    _set_login_csrf(request, response, token)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the password (rate-limited per account and address) and start a session."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    name, target = form.get("name", "").strip(), _local(form.get("next", "/"))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, form.get("csrf", "")):
        return _login_again(request, 403, "the form expired; try again", target)
    limiter = request.app.state.limiter
    client = request.client.host if request.client else "?"
    if limiter.blocked(name, client):
        return _login_again(request, 429, "too many failed attempts; wait a few minutes", target)
    user = account_service.authenticate(store_of(request), name, form.get("password", ""))
    if user is None:
        limiter.failed(name, client)
        return _login_again(
            request, 401, "wrong name or password (or the account is disabled)", target
        )
    limiter.succeeded(name, client)
    signer: SessionSigner = request.app.state.signer
    cookie, _csrf = signer.cookie(user.name)
    response = RedirectResponse(target, status_code=303)
    secure = _secure(request)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        max_age=SESSION_MAX_AGE_S,
        secure=secure,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, httponly=True, samesite="lax", secure=secure)
    return response


def _login_again(request: Request, status: int, message: str, target: str) -> Response:
    token = secrets.token_urlsafe(24)
    response = page(
        request, "login.html", None, status, next=target, login_csrf=token, error=message
    )
    _set_login_csrf(request, response, token)
    return response


def _secure(request: Request) -> bool:
    """Whether cookies carry ``Secure`` (``dbtl serve --secure-cookies``)."""
    return bool(request.app.state.secure_cookies)


def _set_login_csrf(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        max_age=LOGIN_CSRF_MAX_AGE_S,
        secure=_secure(request),
    )


def _local(target: str) -> str:
    """Only redirect within this site."""
    local = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if local else "/"


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session."""
    await form_of(request, Role.viewer)  # a forged sign-out is refused too
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/", response_class=HTMLResponse)
def campaigns(request: Request) -> Response:
    """Every campaign with status, progress and best so far."""
    session = signed_in(request)
    if not isinstance(session, Session):
        return session
    return page(
        request, "campaigns.html", session, summaries=campaign_service.summaries(store_of(request))
    )


@router.get("/campaigns/{name}", response_class=HTMLResponse)
def campaign(
    request: Request,
    name: str,
    number: PageNumber = 0,
    before: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """One campaign: plots, a page of experiments (``page``), the log (ids below ``before``)."""
    session = signed_in(request)
    if not isinstance(session, Session):
        return session
    store = store_of(request)
    head = campaign_service.overview(store, name)
    summary, c = head.summary, head.summary.campaign
    events = campaign_page.event_rows(store, name, before)
    table = campaign_page.experiment_rows(store, name, number)
    results = (
        c.id,
        summary.completed,
        summary.counts.get("failed", 0),
        head.last_cycle,
        c.spec_hash,
    )
    drawn, current = request.app.state.plots.get_or_previous(
        results, lambda: _plots(store, name, summary.completed)
    )  # after new results the previous plots are shown while they are redrawn
    context = {"summary": summary, "table": table, "events": events, "plots": drawn}
    context["plots_current"] = current
    context["events_page"] = campaign_page.EVENT_ROWS
    return page(request, "campaign.html", session, **context)


def _plots(store: Datastore, name: str, completed: int) -> dict[str, Any]:
    """Redrawn only when results change (the cache key above)."""
    return campaign_page.draw(plot_service.sample(store, name, completed))


@router.get("/proposals", response_class=HTMLResponse)
def proposals(
    request: Request,
    campaign: str | None = None,
    number: PageNumber = 0,
) -> Response:
    """The approval queue, grouped by campaign and cycle, :data:`QUEUE_ROWS` a page."""
    session = signed_in(request)
    if not isinstance(session, Session):
        return session
    found = review_service.pending_page(
        store_of(request), campaign or None, QUEUE_ROWS, number * QUEUE_ROWS
    )
    cards = [_card(v, found.specs[v.campaign]) for v in found.views]
    total = found.total
    groups = [
        (key, list(items))
        for key, items in groupby(
            cards, key=lambda c: (c["view"].campaign, c["view"].experiment.cycle)
        )
    ]
    context: dict[str, Any] = {"groups": groups, "campaign": campaign}
    context["pager"] = _pager(number, total, QUEUE_ROWS)
    return page(request, "proposals.html", session, **context)


def _card(view: ProposalView, spec: Any) -> dict[str, Any]:
    drawn = {
        name: (smiles, molecule_svg(smiles))
        for name, smiles in molecules(spec, view.experiment.parameters).items()
    }
    return {
        "view": view,
        "molecules": drawn,
        "schemes": reaction_schemes(spec, view.experiment.parameters),
    }


def _pager(number: int, total: int, rows: int) -> dict[str, int]:
    """What ``pager.html`` shows: this page (from 0), how many pages, how many rows in all."""
    return {"page": number, "pages": max(1, -(-total // rows)), "total": total}


@router.get("/devices", response_class=HTMLResponse)
def devices(request: Request, number: PageNumber = 0) -> Response:
    """Devices of the labs, their service state and leases, :data:`DEVICE_ROWS` a page."""
    session = signed_in(request)
    if not isinstance(session, Session):
        return session
    rows, total = device_service.page(store_of(request), DEVICE_ROWS, number * DEVICE_ROWS)
    pager = _pager(number, total, DEVICE_ROWS)
    return page(request, "devices.html", session, rows=rows, pager=pager)


@router.get("/attention", response_class=HTMLResponse)
def attention(request: Request, number: PageNumber = 0) -> Response:
    """Experiments a person must settle after a crash, :data:`ATTENTION_ROWS` a page."""
    session = signed_in(request)
    if not isinstance(session, Session):
        return session
    found = attention_service.flagged_page(
        store_of(request), ATTENTION_ROWS, number * ATTENTION_ROWS
    )
    pager = _pager(number, found.total, ATTENTION_ROWS)
    return page(request, "attention.html", session, flagged=found, pager=pager)
