"""Workflows: CRUD, status changes, and their history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.errors import Conflict, NotFound
from fodi.nexus.auth.service import Caller
from fodi.nexus.workflows.models import Workflow, WorkflowHistory, WorkflowStatus
from fodi.nexus.workflows.schemas import WorkflowUpdate

# Which status changes a caller may ask for; failed and finished are final.
ALLOWED_CHANGES = {
    WorkflowStatus.ACTIVE: {WorkflowStatus.PAUSED, WorkflowStatus.FINISHED},
    WorkflowStatus.PAUSED: {WorkflowStatus.ACTIVE, WorkflowStatus.FINISHED},
}


def record(session: AsyncSession, workflow_id: str, kind: str, **detail: Any) -> None:
    session.add(WorkflowHistory(workflow_id=workflow_id, kind=kind, detail=detail))


def reachable(statement: Select[Any], caller: Caller) -> Select[Any]:
    return statement if caller.is_admin else statement.where(Workflow.owner_bot_id == caller.bot_id)


async def get(session: AsyncSession, workflow_id: str, caller: Caller) -> Workflow:
    statement = reachable(select(Workflow).where(Workflow.id == workflow_id), caller)
    workflow: Workflow | None = (await session.execute(statement)).scalar_one_or_none()
    if workflow is None:
        raise NotFound("Workflow not found")
    return workflow


def list_query(
    caller: Caller, *, user_id: str | None = None, status: str | None = None
) -> Select[Any]:
    statement = select(Workflow).order_by(Workflow.created_at, Workflow.id)
    if user_id is not None:
        statement = statement.where(Workflow.user_id == user_id)
    if status is not None:
        statement = statement.where(Workflow.status == status)
    return reachable(statement, caller)


async def update(session: AsyncSession, workflow: Workflow, data: WorkflowUpdate) -> Workflow:
    if data.name is not None:
        workflow.name = data.name
    if data.status is not None and data.status != workflow.status:
        target = WorkflowStatus(data.status)
        if target not in ALLOWED_CHANGES.get(WorkflowStatus(workflow.status), set()):
            raise Conflict(f"A {workflow.status} workflow cannot become {target}")
        record(session, workflow.id, "status", previous=workflow.status, status=target.value)
        workflow.status = target
    await session.flush()
    return workflow


async def history(session: AsyncSession, workflow_id: str) -> Sequence[WorkflowHistory]:
    statement = (
        select(WorkflowHistory)
        .where(WorkflowHistory.workflow_id == workflow_id)
        .order_by(WorkflowHistory.at, WorkflowHistory.id)
    )
    return (await session.execute(statement)).scalars().all()


async def active_for_user(session: AsyncSession, user_id: str) -> Sequence[Workflow]:
    statement = select(Workflow).where(
        Workflow.user_id == user_id, Workflow.status == WorkflowStatus.ACTIVE
    )
    return (await session.execute(statement)).scalars().all()


async def mark_failed(
    session: AsyncSession, workflow_id: str, now: datetime, **detail: Any
) -> None:
    workflow = await session.get(Workflow, workflow_id)
    if workflow is None or workflow.status in (WorkflowStatus.FINISHED, WorkflowStatus.FAILED):
        return
    workflow.status = WorkflowStatus.FAILED
    workflow.updated_at = now
    record(session, workflow_id, "failed", **detail)
