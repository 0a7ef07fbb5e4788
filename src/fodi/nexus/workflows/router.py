"""/workflows: a user's event-triggered steps between bots, their status and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from fodi.core.deps import SessionDep
from fodi.core.errors import problem_responses
from fodi.core.pagination import count_rows, set_page_headers
from fodi.nexus import flows
from fodi.nexus.auth.deps import CallerDep
from fodi.nexus.http import PageDep
from fodi.nexus.workflows import service
from fodi.nexus.workflows.models import Workflow, WorkflowStatus
from fodi.nexus.workflows.schemas import HistoryEntry, WorkflowCreate, WorkflowRead, WorkflowUpdate

router = APIRouter(
    prefix="/workflows", tags=["workflows"], responses=problem_responses(400, 401, 403, 404)
)


@router.get("", response_model=list[WorkflowRead])
async def list_workflows(
    request: Request,
    response: Response,
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
    status: WorkflowStatus | None = None,
) -> Any:
    statement = service.list_query(caller, user_id=user_id, status=status)
    set_page_headers(request, response, page, await count_rows(session, statement))
    return (await session.execute(page.apply(statement))).scalars().all()


@router.post("", response_model=WorkflowRead, status_code=201)
async def create_workflow(data: WorkflowCreate, session: SessionDep, caller: CallerDep) -> Any:
    workflow = await flows.create_workflow(session, caller, data)
    await session.commit()
    return workflow


@router.get("/{workflow_id}", response_model=WorkflowRead)
async def get_workflow(workflow_id: str, session: SessionDep, caller: CallerDep) -> Workflow:
    return await service.get(session, workflow_id, caller)


@router.patch("/{workflow_id}", response_model=WorkflowRead, responses=problem_responses(409))
async def update_workflow(
    workflow_id: str, data: WorkflowUpdate, session: SessionDep, caller: CallerDep
) -> Workflow:
    """Rename, pause, resume or finish (failed and finished are final)."""
    workflow = await service.update(session, await service.get(session, workflow_id, caller), data)
    await session.commit()
    return workflow


@router.delete("/{workflow_id}", status_code=204)
async def delete_workflow(workflow_id: str, session: SessionDep, caller: CallerDep) -> Response:
    await session.delete(await service.get(session, workflow_id, caller))
    await session.commit()
    return Response(status_code=204)


@router.get("/{workflow_id}/history", response_model=list[HistoryEntry])
async def workflow_history(workflow_id: str, session: SessionDep, caller: CallerDep) -> Any:
    await service.get(session, workflow_id, caller)
    return await service.history(session, workflow_id)
