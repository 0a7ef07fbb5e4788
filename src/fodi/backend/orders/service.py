"""Order rules (the status machine, who may move what) and order queries.  Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.backend.orders.models import Order, OrderItem
from fodi.backend.orders.schemas import (
    OrderItemOut,
    OrderOut,
    OrderUser,
    ProductRef,
    RecentOrderOut,
    UserOrderOut,
)
from fodi.backend.units import from_minor
from fodi.backend.users.models import User
from fodi.core.errors import BadRequest, Conflict, Forbidden, NotFound
from fodi.core.pagination import PageParams
from fodi.core.security import Role, TokenClaims


class Status(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PREPARING = "preparing"
    READY = "ready"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


S = Status
TRANSITIONS: dict[Status, tuple[Status, ...]] = {
    S.PENDING: (S.CONFIRMED, S.CANCELLED),
    S.CONFIRMED: (S.PREPARING, S.CANCELLED),
    S.PREPARING: (S.READY, S.CANCELLED),
    S.READY: (S.DELIVERED, S.CANCELLED),
    S.DELIVERED: (),
    S.CANCELLED: (),
}
ALL_MOVES = frozenset((a, b) for a, targets in TRANSITIONS.items() for b in targets)
# Who may make which legal move.  The customer's own right (cancel while pending) is separate.
ROLE_MOVES: dict[str, frozenset[tuple[Status, Status]]] = {
    Role.ADMIN: ALL_MOVES,
    Role.MANAGER: ALL_MOVES,
    Role.COOK: frozenset({(S.CONFIRMED, S.PREPARING), (S.PREPARING, S.READY)}),
    Role.COURIER: frozenset({(S.READY, S.DELIVERED)}),
}
OWNER_MOVES = frozenset({(S.PENDING, S.CANCELLED)})
STAFF_ROLES = (Role.ADMIN, Role.MANAGER, Role.COOK, Role.COURIER)
ORDER_MANAGERS = (Role.ADMIN, Role.MANAGER)


def parse_status(value: str) -> Status:
    try:
        return Status(value.strip().lower())
    except ValueError:
        raise BadRequest(
            f"Invalid status {value!r}; use one of: {', '.join(s.value for s in Status)}"
        ) from None


def moves_for(role: str, *, is_owner: bool) -> frozenset[tuple[Status, Status]]:
    moves = ROLE_MOVES.get(role, frozenset())
    return moves | OWNER_MOVES if is_owner else moves


def check_transition(current: Status, target: Status, role: str, *, is_owner: bool) -> None:
    """409 for a move the status machine forbids, 403 for one the caller's role may not make."""
    legal = TRANSITIONS[current]
    if target not in legal:
        allowed = ", ".join(s.value for s in legal) or "none (the order is final)"
        raise Conflict(
            f"Cannot move an order from {current.value} to {target.value}; allowed: {allowed}",
            extra={"currentStatus": current.value, "allowed": [s.value for s in legal]},
        )
    permitted = moves_for(role, is_owner=is_owner)
    if (current, target) not in permitted:
        yours = [b.value for a, b in sorted(permitted) if a == current]
        raise Forbidden(
            f"Your role ({role}) may not move an order from {current.value} to {target.value}",
            extra={"currentStatus": current.value, "allowed": yours},
        )


def is_staff(claims: TokenClaims) -> bool:
    return claims.role in STAFF_ROLES


async def get(session: AsyncSession, order_id: str, *, for_update: bool = False) -> Order:
    statement = select(Order).where(Order.id == order_id)
    if for_update:
        statement = statement.with_for_update()
    order = await session.scalar(statement)
    if order is None:
        raise NotFound("Order not found")
    return order


def ensure_can_see(order: Order, claims: TokenClaims) -> None:
    if not is_staff(claims) and order.user_id != claims.user_id:
        raise Forbidden("This order belongs to someone else")


async def shape(session: AsyncSession, orders: Sequence[Order]) -> list[OrderOut]:
    """Orders with their lines and customers, in three queries whatever the page size."""
    ids = [o.id for o in orders]
    items: dict[str, list[OrderItemOut]] = {i: [] for i in ids}
    if ids:
        rows = await session.scalars(
            select(OrderItem).where(OrderItem.order_id.in_(ids)).order_by(OrderItem.product_name)
        )
        for item in rows:
            items[item.order_id].append(
                OrderItemOut(
                    id=item.id,
                    order_id=item.order_id,
                    product_id=item.product_id,
                    quantity=item.quantity,
                    price=from_minor(item.price_minor),
                    product=ProductRef(id=item.product_id, name=item.product_name),
                )
            )
    user_ids = {o.user_id for o in orders if o.user_id}
    users: dict[str, User] = {}
    if user_ids:
        users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(user_ids)))}
    shaped = []
    for order in orders:
        user = users.get(order.user_id or "")
        shaped.append(
            OrderOut(
                id=order.id,
                user_id=order.user_id,
                name=order.name,
                status=order.status,
                total=from_minor(order.total_minor),
                address=order.address,
                phone=order.phone,
                comment=order.comment,
                created_at=order.created_at,
                updated_at=order.updated_at,
                items=items[order.id],
                user=OrderUser(id=user.id, name=user.name, email=user.email) if user else None,
            )
        )
    return shaped


def _filtered(
    *,
    user_id: str | None = None,
    status: Status | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
) -> Select[Order]:
    statement = select(Order)
    if user_id is not None:
        statement = statement.where(Order.user_id == user_id)
    if status is not None:
        statement = statement.where(Order.status == status.value)
    if day_from is not None:
        statement = statement.where(Order.created_at >= day_start(day_from))
    if day_to is not None:
        statement = statement.where(Order.created_at < day_start(day_to + timedelta(days=1)))
    return statement


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


async def page(
    session: AsyncSession,
    page_params: PageParams,
    *,
    user_id: str | None = None,
    status: Status | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
) -> tuple[list[Order], int]:
    statement = _filtered(user_id=user_id, status=status, day_from=day_from, day_to=day_to)
    total = int(await session.scalar(select(func.count()).select_from(statement.subquery())) or 0)
    rows = await session.scalars(
        statement.order_by(Order.created_at.desc(), Order.id)
        .limit(page_params.limit)
        .offset(page_params.offset)
    )
    return list(rows), total


async def recent(session: AsyncSession, *, user_id: str | None, limit: int = 10) -> list[Order]:
    statement = _filtered(user_id=user_id).order_by(Order.created_at.desc()).limit(limit)
    return list(await session.scalars(statement))


async def recent_with_emails(session: AsyncSession, limit: int = 10) -> list[RecentOrderOut]:
    rows = await session.execute(
        select(Order, User.email)
        .outerjoin(User, Order.user_id == User.id)
        .order_by(Order.created_at.desc())
        .limit(limit)
    )
    return [
        RecentOrderOut(
            id=order.id,
            user_email=email,
            status=order.status,
            total=from_minor(order.total_minor),
            created_at=order.created_at,
        )
        for order, email in rows
    ]


def user_order_out(order: Order) -> UserOrderOut:
    return UserOrderOut(
        id=order.id,
        status=order.status,
        total=from_minor(order.total_minor),
        address=order.address,
        phone=order.phone,
        comment=order.comment,
        created_at=order.created_at,
    )


async def find_by_idempotency_key(session: AsyncSession, key: str) -> Order | None:
    found: Order | None = await session.scalar(select(Order).where(Order.idempotency_key == key))
    return found
