"""Orders: ``POST/GET /orders``, ``/user/orders``, and the staff's ``/admin/orders``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.backend import flows
from fodi.backend.deps import BackendSettingsDep, IdPath, StaffDep, announce_events
from fodi.backend.orders import service
from fodi.backend.orders.models import Order
from fodi.backend.orders.schemas import (
    OrderCreated,
    OrderIn,
    OrderOut,
    OrdersOut,
    OrderUpdateIn,
    RecentOrderOut,
    StatusChanged,
    StatusIn,
    UserOrdersOut,
)
from fodi.backend.units import from_minor
from fodi.core.deps import ClaimsDep, OptionalClaimsDep, SessionDep
from fodi.core.errors import problem_responses
from fodi.core.pagination import PageParams, page_params, set_page_headers
from fodi.core.security import TokenClaims

router = APIRouter(prefix="/api", tags=["orders"])
PageDep = Annotated[PageParams, Depends(page_params)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Retries with the same key return the first result instead of a new order",
    ),
]


async def _one(session: AsyncSession, order: Order) -> OrderOut:
    return (await service.shape(session, [order]))[0]


@router.post(
    "/orders",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderCreated,
    responses=problem_responses(400, 401, 403, 409, 422),
)
async def create_order(
    body: OrderIn,
    request: Request,
    response: Response,
    session: SessionDep,
    claims: OptionalClaimsDep,
    limits: BackendSettingsDep,
    idempotency_key: IdempotencyKey = None,
) -> OrderCreated:
    """Place an order as a guest or signed in; prices come from the menu, never the client.

    Each dish's recipe is taken from stock in the same transaction: if an ingredient runs
    short the order is refused (409, naming it) and nothing is written.
    """
    placed = await flows.place_order(
        session, body, claims=claims, idempotency_key=idempotency_key, limits=limits
    )
    if placed.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    else:
        await session.commit()
        announce_events(request)
    return OrderCreated(
        message="Order created successfully",
        order_id=placed.order_id,
        total=from_minor(placed.total_minor),
        status=placed.status,
    )


@router.get("/orders", response_model=OrdersOut, responses=problem_responses(401))
async def list_orders(
    claims: ClaimsDep, session: SessionDep, request: Request, response: Response, page: PageDep
) -> OrdersOut:
    """Your orders, newest first (staff see everyone's)."""
    owner = None if service.is_staff(claims) else claims.user_id
    found, total = await service.page(session, page, user_id=owner)
    set_page_headers(request, response, page, total)
    return OrdersOut(orders=await service.shape(session, found))


@router.get("/orders/recent", response_model=list[OrderOut], responses=problem_responses(401))
async def recent_orders(claims: ClaimsDep, session: SessionDep) -> list[OrderOut]:
    """Your ten latest orders (staff: anyone's)."""
    owner = None if service.is_staff(claims) else claims.user_id
    return await service.shape(session, await service.recent(session, user_id=owner))


@router.get(
    "/orders/{order_id}", response_model=OrderOut, responses=problem_responses(401, 403, 404)
)
async def get_order(order_id: IdPath, claims: ClaimsDep, session: SessionDep) -> OrderOut:
    order = await service.get(session, order_id)
    service.ensure_can_see(order, claims)
    return await _one(session, order)


@router.patch(
    "/orders/{order_id}",
    response_model=StatusChanged,
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def patch_order(
    order_id: IdPath, body: StatusIn, claims: ClaimsDep, session: SessionDep, request: Request
) -> StatusChanged:
    """Move an order: a customer may cancel their own pending order; staff per their role."""
    return await _move(session, request, order_id, body.status, claims)


@router.get("/user/orders", response_model=UserOrdersOut, responses=problem_responses(401))
async def user_orders(
    claims: ClaimsDep, session: SessionDep, request: Request, response: Response, page: PageDep
) -> UserOrdersOut:
    """The signed-in person's orders (the original answered 401 here, always)."""
    found, total = await service.page(session, page, user_id=claims.user_id)
    set_page_headers(request, response, page, total)
    return UserOrdersOut(orders=[service.user_order_out(o) for o in found])


@router.get("/admin/orders", response_model=OrdersOut, responses=problem_responses(400, 401, 403))
async def admin_orders(
    _staff: StaffDep,
    session: SessionDep,
    request: Request,
    response: Response,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=32)] = None,
    day: Annotated[date | None, Query(alias="date", description="Orders of one UTC day")] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> OrdersOut:
    """Every order, newest first; filter by ``status`` and by day (``date`` or ``from``/``to``)."""
    wanted = service.parse_status(status) if status else None
    found, total = await service.page(
        session, page, status=wanted, day_from=day or date_from, day_to=day or date_to
    )
    set_page_headers(request, response, page, total)
    return OrdersOut(orders=await service.shape(session, found))


@router.get(
    "/admin/orders/recent",
    response_model=list[RecentOrderOut],
    responses=problem_responses(401, 403),
)
async def admin_recent_orders(_staff: StaffDep, session: SessionDep) -> list[RecentOrderOut]:
    """The ten latest orders, a bare array as in the original."""
    return await service.recent_with_emails(session)


@router.put(
    "/admin/orders/{order_id}/status",
    response_model=StatusChanged,
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def set_order_status(
    order_id: IdPath, body: StatusIn, staff: StaffDep, session: SessionDep, request: Request
) -> StatusChanged:
    """Move an order along pending → confirmed → preparing → ready → delivered (or cancel)."""
    return await _move(session, request, order_id, body.status, staff)


async def _move(
    session: AsyncSession, request: Request, order_id: str, status: str, claims: TokenClaims
) -> StatusChanged:
    """Change the status, commit, wake the event streams, answer with the order."""
    order = await flows.change_status(session, order_id, status, claims=claims)
    await session.commit()
    announce_events(request)
    return StatusChanged(
        message="Order status updated successfully",
        status=order.status,
        order=await _one(session, order),
    )


@router.put(
    "/admin/orders/{order_id}",
    response_model=StatusChanged,
    responses=problem_responses(400, 401, 403, 404, 409),
)
async def update_order(
    order_id: IdPath, body: OrderUpdateIn, staff: StaffDep, session: SessionDep, request: Request
) -> StatusChanged:
    """Change an order's status and/or its contact details."""
    order = await flows.update_order(session, order_id, body, claims=staff)
    await session.commit()
    announce_events(request)
    return StatusChanged(
        message="Order updated successfully", status=order.status, order=await _one(session, order)
    )
