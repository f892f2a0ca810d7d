"""Live updates: server-sent events of every new event in the audit trail.

``GET /live?after=ID`` (signed-in browsers) streams each event written after
``ID`` as ``event: change`` with its id, kind, campaign, experiment and
statuses. The datastore is polled every :data:`POLL_S` seconds (the loop runs
in another process, so there is nothing to subscribe to); a browser that
reconnects sends ``Last-Event-ID`` and misses nothing. A stream ends after
``app.state.live_max_s`` seconds and the browser reconnects by itself.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from datastore import Datastore
from lab.services.events import events_after
from lab.web.auth import browser_session, store_of
from lab.web.errors import error_response

router = APIRouter(include_in_schema=False)
POLL_S = 1.0
PAGE = 500
LIVE_MAX_S = 300.0


def _changes(store: Datastore, after: int) -> list[dict]:
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "campaign": campaign,
            "experiment_id": e.experiment_id,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor,
        }
        for e, campaign in events_after(store, after, PAGE)
    ]


@router.get("/live")
async def live(request: Request, after: int = 0) -> Response:
    """Stream new events as server-sent events (see the module docstring)."""
    if browser_session(request) is None:
        return error_response(401, "sign in first")
    resume = request.headers.get("last-event-id", "")
    start = int(resume) if resume.isdigit() else max(after, 0)
    store = store_of(request)
    limit_s = float(getattr(request.app.state, "live_max_s", LIVE_MAX_S))

    async def stream() -> AsyncIterator[str]:
        last, ends = start, time.monotonic() + limit_s
        yield "retry: 2000\n\n"
        while time.monotonic() < ends and not await request.is_disconnected():
            changes = await run_in_threadpool(_changes, store, last)
            for change in changes:
                last = change["id"]
                yield f"id: {last}\nevent: change\ndata: {json.dumps(change)}\n\n"
            if not changes:
                yield ": idle\n\n"
                await asyncio.sleep(POLL_S)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)
