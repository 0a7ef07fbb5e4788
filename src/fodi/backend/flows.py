"""Work that spans domains, each flow inside the caller's single transaction.

Placing an order prices it from the catalog, writes it, takes its recipes from stock and
records the event; changing a status may give stock back and records an event.  A flow never
commits: the router commits once, so either all of it happens or none of it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.backend.catalog import service as catalog
from fodi.backend.config import BackendSettings
from fodi.backend.events import service as events
from fodi.backend.events.schemas import ORDER_CREATED, ORDER_STATUS_CHANGED
from fodi.backend.inventory import service as inventory
from fodi.backend.orders import service as orders
from fodi.backend.orders.models import Order, OrderItem
from fodi.backend.orders.schemas import OrderIn, OrderUpdateIn
from fodi.backend.units import from_minor
from fodi.backend.users.models import User
from fodi.core.db import new_id, utcnow
from fodi.core.errors import BadRequest, Conflict, Forbidden, UnprocessableEntity
from fodi.core.security import TokenClaims

MAX_IDEMPOTENCY_KEY = 255
# An order's own rows go in through the tables, not the ORM's bulk insert: the values are
# complete, and the ORM's persistence machinery cost more per order than the statements.
ORDERS = insert(cast(Table, Order.__table__))
ORDER_ITEMS = insert(cast(Table, OrderItem.__table__))


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order_id: str
    total_minor: int
    status: str
    replayed: bool  # True when an Idempotency-Key matched an order placed before


def _merged_lines(request: OrderIn, limits: BackendSettings) -> dict[str, int]:
    """Quantities per product (a product listed twice counts once), within the limits."""
    if not request.items:
        raise BadRequest("Order must contain at least one item")
    lines: dict[str, int] = defaultdict(int)
    for line in request.items:
        lines[line.product_id] += line.quantity
    if len(lines) > limits.max_order_items:
        raise BadRequest(f"An order may contain at most {limits.max_order_items} different items")
    for product_id, quantity in lines.items():
        if quantity > limits.max_item_quantity:
            raise BadRequest(
                f"At most {limits.max_item_quantity} portions of one item per order "
                f"({product_id}: {quantity})"
            )
    return dict(lines)


def _fingerprint(request: OrderIn, lines: dict[str, int]) -> str:
    """What makes two requests 'the same order' for an Idempotency-Key."""
    canonical = json.dumps(
        [
            request.name,
            request.phone,
            request.address,
            request.comment or "",
            sorted(lines.items()),
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(existing: Order, fingerprint: str) -> PlacedOrder:
    if existing.request_hash != fingerprint:
        # No order id here: guests share one key space, and the first order may be someone
        # else's.
        raise UnprocessableEntity("This Idempotency-Key was already used for a different order")
    # The first answer, again: every order starts out pending.
    return PlacedOrder(existing.id, existing.total_minor, orders.Status.PENDING, replayed=True)


async def _insert_order(session: AsyncSession, values: dict[str, Any], keyed: bool) -> bool:
    """Insert the order row; False when a concurrent request with the same key got there first.

    ``ON CONFLICT DO NOTHING`` on the unique key waits for the other transaction and then
    skips, so racing retries never both pass (no read-then-write window).
    """
    if not keyed:
        await session.execute(ORDERS, [values])
        return True
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        dialect_insert(Order)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(Order.id)
    )
    return (await session.execute(statement)).first() is not None


async def place_order(
    session: AsyncSession,
    request: OrderIn,
    *,
    claims: TokenClaims | None,
    idempotency_key: str | None,
    limits: BackendSettings,
) -> PlacedOrder:
    name, phone, address = request.name.strip(), request.phone.strip(), request.address.strip()
    if not (name and phone and address):
        raise BadRequest("Name, phone and address are required")
    lines = _merged_lines(request, limits)
    user_id = claims.user_id if claims else None
    scoped_key = fingerprint = None
    if idempotency_key is not None:
        key = idempotency_key.strip()
        if not key or len(key) > MAX_IDEMPOTENCY_KEY:
            raise BadRequest(f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters")
        scoped_key = f"{user_id or 'guest'}:{key}"
        fingerprint = _fingerprint(request, lines)
        existing = await orders.find_by_idempotency_key(session, scoped_key)
        if existing is not None:
            return _replay(existing, fingerprint)
    if user_id is not None and await session.get(User, user_id) is None:
        raise Forbidden("The account in this token no longer exists")

    dishes = await catalog.priced_products(session, lines)
    unknown = sorted(set(lines) - set(dishes))
    if unknown:
        raise BadRequest(
            f"Unknown product(s): {', '.join(unknown)}", extra={"unknownProducts": unknown}
        )
    total = sum(dishes[pid].price_minor * quantity for pid, quantity in lines.items())
    needs: dict[str, int] = defaultdict(int)
    for pid, quantity in lines.items():
        for ingredient_id, per_portion in dishes[pid].recipe:
            needs[ingredient_id] += per_portion * quantity

    now = utcnow()
    order_id = new_id()
    order_values = {
        "id": order_id,
        "user_id": user_id,
        "name": name,
        "phone": phone,
        "address": address,
        "comment": request.comment,
        "status": orders.Status.PENDING.value,
        "total_minor": total,
        "idempotency_key": scoped_key,
        "request_hash": fingerprint,
        "created_at": now,
        "updated_at": now,
    }
    if not await _insert_order(session, order_values, keyed=scoped_key is not None):
        assert scoped_key is not None
        assert fingerprint is not None
        winner = await orders.find_by_idempotency_key(session, scoped_key)
        if winner is None:  # the winner rolled back after we skipped: let the client retry
            raise Conflict("A request with this Idempotency-Key is in progress; retry")
        return _replay(winner, fingerprint)
    await session.execute(
        ORDER_ITEMS,
        [
            {
                "id": new_id(),
                "order_id": order_id,
                "product_id": pid,
                "product_name": dishes[pid].name,
                "quantity": quantity,
                "price_minor": dishes[pid].price_minor,
            }
            for pid, quantity in lines.items()
        ],
    )
    created = {
        "orderId": order_id,
        "userId": user_id,
        "total": from_minor(total),
        "status": orders.Status.PENDING.value,
        "name": name,
        "phone": phone,
        "address": address,
        "itemsCount": len(lines),
        "createdAt": events.iso(now),
    }
    await inventory.consume_for_order_and_publish(
        session, needs, (ORDER_CREATED, created), order_id=order_id, user_id=user_id, now=now
    )
    return PlacedOrder(order_id, total, orders.Status.PENDING.value, replayed=False)


def _status_event(order: Order, previous: str, now: datetime) -> tuple[str, dict[str, Any]]:
    return (
        ORDER_STATUS_CHANGED,
        {
            "orderId": order.id,
            "userId": order.user_id,
            "status": order.status,
            "previousStatus": previous,
            "updatedAt": events.iso(now),
        },
    )


async def change_status(
    session: AsyncSession, order_id: str, status: str, *, claims: TokenClaims
) -> Order:
    """Move an order along the status machine, as the caller's role allows; cancelling
    gives back the stock the order took."""
    target = orders.parse_status(status)
    order = await orders.get(session, order_id, for_update=True)
    is_owner = order.user_id is not None and order.user_id == claims.user_id
    if not is_owner and not orders.is_staff(claims):
        raise Forbidden("This order belongs to someone else")
    previous = orders.Status(order.status)
    orders.check_transition(previous, target, claims.role, is_owner=is_owner)
    now = utcnow()
    order.status = target.value
    order.updated_at = now
    if target is orders.Status.CANCELLED:
        await inventory.restore_for_order(session, order.id, user_id=claims.user_id, now=now)
    await session.flush()
    await events.record(session, [_status_event(order, previous.value, now)], now=now)
    return order


async def update_order(
    session: AsyncSession, order_id: str, update: OrderUpdateIn, *, claims: TokenClaims
) -> Order:
    """Staff edit of contact details and, optionally, the status (``PUT /admin/orders/{id}``)."""
    contact = {f for f in ("name", "phone", "address", "comment") if f in update.model_fields_set}
    if contact and claims.role not in orders.ORDER_MANAGERS:
        raise Forbidden("Only an admin or a manager may edit an order's details")
    if not contact and update.status is None:
        raise BadRequest("Nothing to update: give a status or contact details")
    if update.status is not None:
        order = await change_status(session, order_id, update.status, claims=claims)
    else:
        order = await orders.get(session, order_id, for_update=True)
    for field in contact:
        setattr(order, field, getattr(update, field))
    if contact:
        order.updated_at = utcnow()
        await session.flush()
    return order
