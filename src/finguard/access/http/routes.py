"""Staff access over HTTP: pending changes (list, show, approve, reject) and the audit log."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from finguard.access.http import staff
from finguard.access.http.schemas import (
    AuditOut,
    ChainOut,
    DecisionIn,
    PendingChangeOut,
    adapt_audit,
    adapt_chain,
    adapt_pending,
)
from finguard.access.service.keys import ApiKey

router = APIRouter(prefix="/api/v1", tags=["approvals"])
ChangeId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _p(request: Request) -> Any:
    return request.app.state.platform


P = Annotated[Any, Depends(_p)]


@router.get("/approvals", response_model=list[PendingChangeOut], summary="Changes waiting for (or decided by) a second person")
def list_changes(
    p: P,
    _: Annotated[ApiKey, Depends(staff("read"))],
    status: Literal["pending", "approved", "rejected", "failed", "all"] = "pending",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PendingChangeOut]:
    return [adapt_pending(c) for c in p.approvals.find(None if status == "all" else status, limit)]


@router.get("/approvals/{change_id}", response_model=PendingChangeOut, summary="One pending change")
def get_change(change_id: ChangeId, p: P, _: Annotated[ApiKey, Depends(staff("read"))]) -> PendingChangeOut:
    return adapt_pending(p.approvals.get(change_id))


@router.post("/approvals/{change_id}/approve", response_model=PendingChangeOut, summary="Approve and apply (not your own change)")
def approve(change_id: ChangeId, body: DecisionIn, p: P, key: Annotated[ApiKey, Depends(staff("approve"))]) -> PendingChangeOut:
    return adapt_pending(p.approvals.approve(change_id, key.principal, body.reason))


@router.post("/approvals/{change_id}/reject", response_model=PendingChangeOut, summary="Reject (or withdraw your own change)")
def reject(change_id: ChangeId, body: DecisionIn, p: P, key: Annotated[ApiKey, Depends(staff("write"))]) -> PendingChangeOut:
    return adapt_pending(p.approvals.reject(change_id, key.principal, body.reason))


@router.get("/audit", response_model=list[AuditOut], tags=["audit"], summary="The audit log, newest first")
def audit(
    p: P,
    _: Annotated[ApiKey, Depends(staff("admin"))],
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditOut]:
    return [adapt_audit(seq, e) for seq, e in p.audit.recent(limit=limit, actor=actor, action=action)]


@router.get("/audit/verify", response_model=list[ChainOut], tags=["audit"], summary="Walk the change log's and audit log's hash chains")
def verify(p: P, _: Annotated[ApiKey, Depends(staff("admin"))]) -> list[ChainOut]:
    return [adapt_chain(r) for r in p.verify_logs()]
