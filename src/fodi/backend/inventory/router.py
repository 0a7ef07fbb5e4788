"""Stock: ``/admin/ingredients`` and their movements (admins and managers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from fodi.backend.deps import IdPath, ManagerDep, announce_events
from fodi.backend.events import service as events
from fodi.backend.inventory import service
from fodi.backend.inventory.schemas import (
    Deleted,
    MovementIn,
    MovementOut,
    StockItemIn,
    StockItemOut,
    StockItemPatch,
)
from fodi.core.db import utcnow
from fodi.core.deps import SessionDep
from fodi.core.errors import problem_responses
from fodi.core.pagination import MAX_LIMIT, PageParams, set_page_headers

router = APIRouter(prefix="/api", tags=["inventory"])


async def movement_page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PageParams:
    """The original returned the last 20 movements; that stays the default page."""
    return PageParams(limit=limit, offset=offset)


@router.get(
    "/admin/ingredients", response_model=list[StockItemOut], responses=problem_responses(401, 403)
)
async def list_ingredients(
    _staff: ManagerDep,
    session: SessionDep,
    low: Annotated[bool, Query(description="Only items below their minimum")] = False,
) -> list[StockItemOut]:
    return [service.stock_item_out(i) for i in await service.list_items(session, low_only=low)]


@router.post(
    "/admin/ingredients",
    status_code=status.HTTP_201_CREATED,
    response_model=StockItemOut,
    responses=problem_responses(400, 401, 403, 409),
)
async def create_ingredient(
    body: StockItemIn, staff: ManagerDep, session: SessionDep
) -> StockItemOut:
    item = await service.create_item(session, body, user_id=staff.user_id)
    await session.commit()
    return service.stock_item_out(item)


@router.get(
    "/admin/ingredients/{item_id}",
    response_model=StockItemOut,
    responses=problem_responses(401, 403, 404),
)
async def get_ingredient(item_id: IdPath, _staff: ManagerDep, session: SessionDep) -> StockItemOut:
    return service.stock_item_out(await service.get(session, item_id))


@router.put(
    "/admin/ingredients/{item_id}",
    response_model=StockItemOut,
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def update_ingredient(
    item_id: IdPath, body: StockItemPatch, staff: ManagerDep, session: SessionDep, request: Request
) -> StockItemOut:
    """Change details; a new ``quantity`` is recorded as a recount movement."""
    item, low = await service.update_item(session, item_id, body, user_id=staff.user_id)
    await events.record(session, low, now=utcnow())
    await session.commit()
    if low:
        announce_events(request)
    return service.stock_item_out(item)


@router.delete(
    "/admin/ingredients/{item_id}",
    response_model=Deleted,
    responses=problem_responses(401, 403, 404, 409),
)
async def delete_ingredient(item_id: IdPath, _staff: ManagerDep, session: SessionDep) -> Deleted:
    await service.delete_item(session, item_id)
    await session.commit()
    return Deleted(message="Ingredient deleted successfully")


@router.get(
    "/admin/ingredients/{item_id}/movements",
    response_model=list[MovementOut],
    responses=problem_responses(401, 403, 404),
)
async def list_movements(
    item_id: IdPath,
    _staff: ManagerDep,
    session: SessionDep,
    request: Request,
    response: Response,
    page: Annotated[PageParams, Depends(movement_page)],
) -> list[MovementOut]:
    """Every change of this item's stock, newest first."""
    found, total = await service.movements(session, item_id, page)
    set_page_headers(request, response, page, total)
    return [service.movement_out(m) for m in found]


@router.post(
    "/admin/ingredients/{item_id}/movements",
    status_code=status.HTTP_201_CREATED,
    response_model=StockItemOut,
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def add_movement(
    item_id: IdPath, body: MovementIn, staff: ManagerDep, session: SessionDep, request: Request
) -> StockItemOut:
    """Record a delivery, waste, return, consumption or a recount (the counted level)."""
    item = await service.get(session, item_id)
    low = await service.apply_movement(session, item, body, user_id=staff.user_id)
    await events.record(session, low, now=utcnow())
    await session.commit()
    if low:
        announce_events(request)
    return service.stock_item_out(item)
