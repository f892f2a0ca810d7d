"""The REST API, ``/api/v1``: every route calls the same service functions as the CLI.

Roles: any account reads; ``operator`` pauses, resumes and aborts campaigns
and sets devices in or out of service; ``chemist`` approves, edits, rejects
and resolves; ``admin`` lists accounts. Lists take ``limit`` (at most
:data:`~lab.web.schemas.MAX_PAGE`) and ``offset``; events take an ``after`` cursor.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, Response

from datastore import ExperimentStatus
from lab.review.accounts import Role, User
from lab.services import attention as attention_service
from lab.services import campaigns as campaign_service
from lab.services import control as control_service
from lab.services import devices as device_service
from lab.services import events as events_service
from lab.services import experiments as experiment_service
from lab.services import review as review_service
from lab.services.actor import Actor
from lab.services.campaigns import summaries as campaign_summaries
from lab.services.devices import UnknownDeviceError
from lab.web import convert, downloads
from lab.web import schemas as s
from lab.web.auth import api_user, require, store_of
from lab.web.errors import ERROR_RESPONSES, ApiError

router = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
Viewer = Annotated[User, Depends(api_user)]
Operator = Annotated[User, Depends(require(Role.operator))]
Chemist = Annotated[User, Depends(require(Role.chemist))]
Limit = Annotated[int, Query(ge=1, le=s.MAX_PAGE, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="rows to skip")]
CampaignName = Annotated[str, Query(max_length=200, description="only this campaign")]
ExperimentId = Annotated[int, PathParam(ge=1, le=2**53, description="experiment id")]
Name = Annotated[str, PathParam(max_length=200, description="campaign name")]


def _actor(user: User) -> Actor:
    return Actor(user.name, "api")


@router.get("/me", response_model=s.Me, tags=["accounts"])
def me(user: Viewer) -> s.Me:
    """The account of the token."""
    return s.Me(name=user.name, role=user.role.name)


@router.get("/campaigns", response_model=s.CampaignPage, tags=["campaigns"])
def campaigns(request: Request, _: Viewer, limit: Limit = 50, offset: Offset = 0) -> s.CampaignPage:
    """Every campaign: status, progress and best so far."""
    summaries = campaign_summaries(store_of(request))
    items = [convert.campaign_out(x) for x in summaries[offset : offset + limit]]
    return s.CampaignPage(items=items, total=len(summaries), limit=limit, offset=offset)


@router.get("/campaigns/{name}", response_model=s.CampaignDetail, tags=["campaigns"])
def campaign(request: Request, name: Name, _: Viewer) -> s.CampaignDetail:
    """One campaign, with the first objective's best-so-far per cycle."""
    summary, progress = campaign_service.progress(store_of(request), name)
    return convert.campaign_detail(summary, progress)


@router.get("/campaigns/{name}/experiments", response_model=s.ExperimentPage, tags=["experiments"])
def experiments(
    request: Request,
    name: Name,
    _: Viewer,
    status: Annotated[list[ExperimentStatus] | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> s.ExperimentPage:
    """A campaign's experiments in number order, optionally of some statuses."""
    found = experiment_service.page(store_of(request), name, status, limit, offset)
    items = convert.experiment_outs(found)
    return s.ExperimentPage(items=items, total=found.total, limit=limit, offset=offset)


@router.get(
    "/campaigns/{name}/export",
    response_class=FileResponse,
    tags=["campaigns"],
    responses={200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}}},
)
def export(
    request: Request,
    name: Name,
    _: Viewer,
    format: Annotated[Literal["csv", "parquet"], Query()] = "csv",
) -> Response:
    """One row per experiment (columns: docs/exports.md), as CSV or Parquet.

    CSV is streamed as it is read (a page of rows at a time); Parquet is
    written to a temporary file first, as its footer comes last.
    """
    if format == "csv":
        return downloads.streamed_csv(store_of(request), name)
    return downloads.parquet_file(store_of(request), name)


def _control(
    request: Request, name: str, action: str, user: User, body: s.ControlIn | None
) -> s.ControlOut:
    reason = body.reason if body else None
    abandoned = control_service.change(store_of(request), name, action, _actor(user), reason)
    summary = campaign_service.summary(store_of(request), name)
    return s.ControlOut(name=name, status=summary.campaign.status, abandoned=abandoned)


ControlBody = Annotated[s.ControlIn | None, Body()]


@router.post("/campaigns/{name}/pause", response_model=s.ControlOut, tags=["control"])
def pause(request: Request, name: Name, user: Operator, body: ControlBody = None) -> s.ControlOut:
    """Pause: the running experiment finishes, then the campaign waits."""
    return _control(request, name, "pause", user, body)


@router.post("/campaigns/{name}/resume", response_model=s.ControlOut, tags=["control"])
def resume(request: Request, name: Name, user: Operator, body: ControlBody = None) -> s.ControlOut:
    """Resume a paused campaign."""
    return _control(request, name, "resume", user, body)


@router.post("/campaigns/{name}/abort", response_model=s.ControlOut, tags=["control"])
def abort(request: Request, name: Name, user: Operator, body: ControlBody = None) -> s.ControlOut:
    """Abort: every experiment not yet started is abandoned."""
    return _control(request, name, "abort", user, body)


@router.get("/proposals", response_model=s.ProposalPage, tags=["approvals"])
def proposals(
    request: Request,
    _: Viewer,
    campaign: CampaignName | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> s.ProposalPage:
    """Proposals awaiting approval: prediction ± sd, why, flags, protocol and pre-flight."""
    found = review_service.pending_page(store_of(request), campaign, limit, offset)
    items = convert.proposal_outs(found)
    return s.ProposalPage(items=items, total=found.total, limit=limit, offset=offset)


@router.get("/experiments/{experiment_id}", response_model=s.ExperimentOut, tags=["experiments"])
def experiment(request: Request, experiment_id: ExperimentId, _: Viewer) -> s.ExperimentOut:
    """One experiment."""
    return _decided(request, experiment_id)


def _decided(request: Request, experiment_id: int) -> s.ExperimentOut:
    return convert.experiment_out(experiment_service.one(store_of(request), experiment_id))


@router.post(
    "/experiments/{experiment_id}/approve", response_model=s.ExperimentOut, tags=["approvals"]
)
def approve(
    request: Request, experiment_id: ExperimentId, user: Chemist, body: s.ApproveIn
) -> s.ExperimentOut:
    """Approve a proposal, with ``edits`` applied first (checked against bounds and limits)."""
    edits = {k: str(v) for k, v in body.edits.items()}
    review_service.approve(store_of(request), _actor(user), [experiment_id], edits, body.comment)
    return _decided(request, experiment_id)


@router.post(
    "/experiments/{experiment_id}/reject", response_model=s.ExperimentOut, tags=["approvals"]
)
def reject(
    request: Request, experiment_id: ExperimentId, user: Chemist, body: s.RejectIn
) -> s.ExperimentOut:
    """Reject a proposal for a reason; the planner will not propose it again."""
    if not body.reason.strip():
        raise ApiError(422, "reason: a rejection needs a reason", "reason")
    review_service.reject(store_of(request), _actor(user), [experiment_id], body.reason)
    return _decided(request, experiment_id)


@router.post(
    "/campaigns/{name}/approve-cycle", response_model=list[s.ExperimentOut], tags=["approvals"]
)
def approve_cycle(
    request: Request, name: Name, user: Chemist, body: s.CycleApproveIn
) -> list[s.ExperimentOut]:
    """Approve every proposal of one cycle of a campaign, all or none."""
    decided = review_service.approve_cycle(
        store_of(request), _actor(user), name, body.cycle, body.comment
    )
    return [_decided(request, e.id or 0) for e in decided]


@router.post(
    "/experiments/{experiment_id}/resolve", response_model=s.ExperimentOut, tags=["attention"]
)
def settle(
    request: Request, experiment_id: ExperimentId, user: Chemist, body: s.ResolveIn
) -> s.ExperimentOut:
    """Settle an experiment that needs attention: completed (with values), failed or abandoned."""
    attention_service.settle(
        store_of(request), _actor(user), experiment_id, body.outcome, body.values, body.note
    )
    return _decided(request, experiment_id)


@router.get("/attention", response_model=s.ExperimentPage, tags=["attention"])
def attention(
    request: Request, _: Viewer, limit: Limit = 50, offset: Offset = 0
) -> s.ExperimentPage:
    """Experiments that need a person to say what happened (after a crash)."""
    found = attention_service.flagged_page(store_of(request), limit, offset)
    items = convert.experiment_outs(found)
    return s.ExperimentPage(items=items, total=found.total, limit=limit, offset=offset)


@router.get("/events", response_model=s.EventPage, tags=["events"])
def events(
    request: Request,
    _: Viewer,
    campaign: CampaignName | None = None,
    after: Annotated[int, Query(ge=0, le=2**62, description="last event id seen")] = 0,
    limit: Limit = 100,
) -> s.EventPage:
    """The audit trail after event ``after``, oldest first."""
    rows = events_service.events_after(store_of(request), after, limit, campaign)
    items = [convert.event_out(e, name) for e, name in rows]
    return s.EventPage(items=items, next_after=items[-1].id if items else after)


@router.get("/devices", response_model=s.DevicePage, tags=["devices"])
def devices(request: Request, _: Viewer, limit: Limit = 100, offset: Offset = 0) -> s.DevicePage:
    """Devices of the labs campaigns run on: service state and leases."""
    rows, total = device_service.page(store_of(request), limit, offset)
    items = [convert.device_out(r) for r in rows]
    return s.DevicePage(items=items, total=total, limit=limit, offset=offset)


@router.post("/devices/{lab}/{device}/service", response_model=s.DeviceOut, tags=["devices"])
def service(
    request: Request, lab: str, device: str, user: Operator, body: s.ServiceIn
) -> s.DeviceOut:
    """Put a device back in service (resetting its failure count) or take it out."""
    try:
        row = device_service.set_stored_device(
            store_of(request), lab, device, body.in_service, _actor(user), body.note
        )
    except UnknownDeviceError as exc:
        raise ApiError(404, str(exc), "device") from None
    return convert.device_out(row)
