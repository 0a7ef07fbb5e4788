"""Stock rules: levels only change through conditional updates, each change is a movement.

Never commits.  Every decrease is ``UPDATE ... SET quantity = quantity - :q WHERE id = :id
AND quantity >= :q``: the database decides atomically, so concurrent orders can never take
the level below zero on either engine (a CHECK constraint backs this up).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

from fodi.backend.catalog.models import RecipeItem
from fodi.backend.events import service as outbox
from fodi.backend.events.schemas import STOCK_LOW
from fodi.backend.inventory.models import Ingredient, StockMovement
from fodi.backend.inventory.schemas import (
    IngredientRef,
    MovementIn,
    MovementOut,
    MovementType,
    StockItemIn,
    StockItemOut,
    StockItemPatch,
    Unit,
)
from fodi.backend.units import from_milli, from_minor, to_milli, to_minor
from fodi.core.db import utcnow
from fodi.core.errors import BadRequest, Conflict, NotFound
from fodi.core.pagination import PageParams

Event = tuple[str, dict[str, Any]]
ORDER_REASON = "Заказ"

# The original guessed the unit from the ingredient's name (Russian stems).
UNIT_HINTS = (
    (("мук", "сахар", "рис", "круп", "соль", "лосос", "сёмг", "тунец", "креве", "угор", "сыр",
      "васаби", "имбир"), Unit.KG),
    (("вода", "молок"), Unit.L),
    (("масло", "соус", "уксус"), Unit.ML),
    (("яйц", "нори", "авока", "огуре"), Unit.PCS),
)  # fmt: skip


def guess_unit(name: str) -> Unit | None:
    lowered = name.lower()
    for stems, unit in UNIT_HINTS:
        if any(stem in lowered for stem in stems):
            return unit
    return None


def batch_number(name: str, now: datetime) -> str:
    """The original's format: first three letters upper-cased, date and time."""
    prefix = name.replace(" ", "")[:3].upper()
    return f"{prefix}-{now:%Y%m%d-%H%M%S}"


def _opt_minor(value: int | None) -> float | None:
    return None if value is None else from_minor(value)


def _opt_milli(value: int | None) -> float | None:
    return None if value is None else from_milli(value)


def stock_item_out(item: Ingredient) -> StockItemOut:
    return StockItemOut(
        id=item.id,
        ingredient_id=item.id,
        name=item.name,
        unit=item.unit,
        quantity=from_milli(item.quantity_milli),
        min_quantity=from_milli(item.min_quantity_milli),
        low_stock=item.quantity_milli < item.min_quantity_milli,
        updated_at=item.updated_at,
        batch_number=item.batch_number,
        brutto_weight=_opt_milli(item.brutto_weight_milli),
        netto_weight=_opt_milli(item.netto_weight_milli),
        waste_percentage=None if item.waste_percentage is None else float(item.waste_percentage),
        expiry_days=item.expiry_days,
        expires_at=item.expires_at,
        supplier=item.supplier,
        category=item.category,
        price_brutto=_opt_minor(item.price_brutto_minor),
        price_netto=_opt_minor(item.price_netto_minor),
        price_per_unit=_opt_minor(item.price_per_unit_minor),
        ingredient=IngredientRef(
            id=item.id, name=item.name, unit=item.unit, created_at=item.created_at
        ),
    )


def movement_out(movement: StockMovement) -> MovementOut:
    return MovementOut(
        id=str(movement.id),
        stock_item_id=movement.ingredient_id,
        ingredient_id=movement.ingredient_id,
        type=movement.type,
        quantity=from_milli(movement.quantity_milli),
        balance=from_milli(movement.balance_milli),
        reason=movement.reason,
        note=movement.reason,
        user_id=movement.user_id,
        order_id=movement.order_id,
        price_brutto=_opt_minor(movement.price_brutto_minor),
        price_netto=_opt_minor(movement.price_netto_minor),
        created_at=movement.created_at,
    )


def low_stock_event(item_id: str, name: str, unit: str, level: int, minimum: int) -> Event:
    return (
        STOCK_LOW,
        {
            "stockItemId": item_id,
            "ingredientId": item_id,
            "name": name,
            "quantity": from_milli(level),
            "minQuantity": from_milli(minimum),
            "unit": unit,
        },
    )


def fell_below_minimum(before: int, after: int, minimum: int) -> bool:
    """Only the crossing emits an event, not every later decrease."""
    return after < minimum <= before


async def get(session: AsyncSession, item_id: str) -> Ingredient:
    item = await session.get(Ingredient, item_id)
    if item is None:
        raise NotFound("Ingredient not found")
    return item


async def list_items(session: AsyncSession, *, low_only: bool = False) -> list[Ingredient]:
    statement = select(Ingredient).order_by(Ingredient.name)
    if low_only:
        statement = statement.where(Ingredient.quantity_milli < Ingredient.min_quantity_milli)
    return list(await session.scalars(statement))


def _money_fields(data: StockItemIn | StockItemPatch) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field, column in (
        ("price_brutto", "price_brutto_minor"),
        ("price_netto", "price_netto_minor"),
        ("price_per_unit", "price_per_unit_minor"),
    ):
        if field in data.model_fields_set:
            value = getattr(data, field)
            values[column] = None if value is None else to_minor(value)
    for field, column in (
        ("brutto_weight", "brutto_weight_milli"),
        ("netto_weight", "netto_weight_milli"),
    ):
        if field in data.model_fields_set:
            value = getattr(data, field)
            values[column] = None if value is None else to_milli(value)
    for field in ("waste_percentage", "expiry_days", "supplier", "category", "batch_number"):
        if field in data.model_fields_set:
            values[field] = getattr(data, field)
    return values


def _movement_row(
    item_id: str,
    kind: MovementType,
    quantity: int,
    balance: int,
    *,
    reason: str | None,
    user_id: str | None,
    order_id: str | None = None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "ingredient_id": item_id,
        "type": kind.value,
        "quantity_milli": quantity,
        "balance_milli": balance,
        "reason": reason,
        "user_id": user_id,
        "order_id": order_id,
        "created_at": now,
    }


async def create_item(
    session: AsyncSession, data: StockItemIn, *, user_id: str | None
) -> Ingredient:
    unit = data.unit or guess_unit(data.name)
    if unit is None:
        raise BadRequest("Unit is required (it could not be guessed from the name)")
    now = utcnow()
    values = _money_fields(data)
    item = Ingredient(
        name=data.name,
        unit=unit.value,
        quantity_milli=to_milli(data.quantity),
        min_quantity_milli=to_milli(data.min_quantity),
        **values,
    )
    item.batch_number = data.batch_number or batch_number(data.name, now)
    if data.expiry_days is not None:
        item.expires_at = now + timedelta(days=data.expiry_days)
    session.add(item)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Ingredient {data.name!r} already exists") from exc
    if item.quantity_milli > 0:
        await session.execute(
            insert(StockMovement),
            [
                _movement_row(
                    item.id,
                    MovementType.ADDITION,
                    item.quantity_milli,
                    item.quantity_milli,
                    reason="Начальное поступление",
                    user_id=user_id,
                    now=now,
                )
            ],
        )
    return item


async def update_item(
    session: AsyncSession, item_id: str, data: StockItemPatch, *, user_id: str | None
) -> tuple[Ingredient, list[Event]]:
    item = await get(session, item_id)
    events: list[Event] = []
    if data.name is not None:
        item.name = data.name
    if data.unit is not None:
        item.unit = data.unit.value
    if data.min_quantity is not None:
        item.min_quantity_milli = to_milli(data.min_quantity)
    for column, value in _money_fields(data).items():
        setattr(item, column, value)
    if data.expiry_days is not None:
        item.expires_at = utcnow() + timedelta(days=data.expiry_days)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Ingredient {item.name!r} already exists") from exc
    if data.quantity is not None:
        movement = MovementIn(type=MovementType.RECOUNT, quantity=data.quantity, reason=data.reason)
        events = await apply_movement(session, item, movement, user_id=user_id)
    return item, events


async def delete_item(session: AsyncSession, item_id: str) -> None:
    item = await get(session, item_id)
    used = await session.scalar(
        select(func.count()).select_from(RecipeItem).where(RecipeItem.ingredient_id == item_id)
    )
    if used:
        raise Conflict(f"Ingredient {item.name!r} is used in {used} recipe(s); remove it first")
    await session.delete(item)
    await session.flush()


async def movements(
    session: AsyncSession, item_id: str, page: PageParams
) -> tuple[list[StockMovement], int]:
    await get(session, item_id)
    where = StockMovement.ingredient_id == item_id
    total = int(
        await session.scalar(select(func.count()).select_from(StockMovement).where(where)) or 0
    )
    rows = await session.scalars(
        select(StockMovement)
        .where(where)
        .order_by(StockMovement.id.desc())
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(rows), total


async def _decrease(session: AsyncSession, item_id: str, amount: int, now: datetime) -> Any:
    """The conditional decrease; ``None`` when the stock does not cover ``amount``."""
    statement = (
        update(Ingredient)
        .where(Ingredient.id == item_id, Ingredient.quantity_milli >= amount)
        .values(quantity_milli=Ingredient.quantity_milli - amount, updated_at=now)
        .returning(
            Ingredient.quantity_milli,
            Ingredient.min_quantity_milli,
            Ingredient.name,
            Ingredient.unit,
        )
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first()


async def _increase(session: AsyncSession, item_id: str, amount: int, now: datetime) -> Any:
    statement = (
        update(Ingredient)
        .where(Ingredient.id == item_id)
        .values(quantity_milli=Ingredient.quantity_milli + amount, updated_at=now)
        .returning(Ingredient.quantity_milli)
        .execution_options(synchronize_session=False)
    )
    return (await session.execute(statement)).first()


async def _not_enough(session: AsyncSession, item_id: str, needed: int) -> Conflict:
    item = await session.get(Ingredient, item_id)
    name = item.name if item else item_id
    available = item.quantity_milli if item else 0
    unit = item.unit if item else ""
    return Conflict(
        f"Not enough {name} in stock",
        extra={
            "ingredient": {
                "id": item_id,
                "name": name,
                "unit": unit,
                "needed": from_milli(needed),
                "available": from_milli(available),
            }
        },
    )


@dataclass(frozen=True, slots=True)
class Consumed:
    ingredient_id: str
    quantity: int
    balance: int


async def consume(
    session: AsyncSession, needs: Mapping[str, int], *, now: datetime
) -> tuple[list[Consumed], list[Event]]:
    """Take ``needs`` (ingredient id → thousandths) from stock, all or nothing.

    Rows are updated in id order, so two orders sharing ingredients lock them in the same
    order and cannot deadlock.  On a shortfall this raises 409 naming the ingredient; the
    caller's transaction is then rolled back, so nothing of the order is written.
    """
    consumed: list[Consumed] = []
    events: list[Event] = []
    for item_id in sorted(needs):
        amount = needs[item_id]
        row = await _decrease(session, item_id, amount, now)
        if row is None:
            raise await _not_enough(session, item_id, amount)
        level, minimum, name, unit = row
        consumed.append(Consumed(item_id, amount, level))
        if fell_below_minimum(level + amount, level, minimum):
            events.append(low_stock_event(item_id, name, unit, level, minimum))
    return consumed, events


async def record_movements(
    session: AsyncSession,
    kind: MovementType,
    moves: Sequence[Consumed],
    *,
    reason: str | None,
    user_id: str | None,
    order_id: str | None,
    now: datetime,
) -> None:
    if not moves:
        return
    await session.execute(
        insert(StockMovement),
        [
            _movement_row(
                move.ingredient_id,
                kind,
                move.quantity,
                move.balance,
                reason=reason,
                user_id=user_id,
                order_id=order_id,
                now=now,
            )
            for move in moves
        ],
    )


async def restore_for_order(
    session: AsyncSession, order_id: str, *, user_id: str | None, now: datetime
) -> None:
    """Give back exactly what an order consumed (its movements, not today's recipes)."""
    rows = await session.execute(
        select(StockMovement.ingredient_id, func.sum(StockMovement.quantity_milli))
        .where(
            StockMovement.order_id == order_id,
            StockMovement.type == MovementType.CONSUMPTION.value,
        )
        .group_by(StockMovement.ingredient_id)
    )
    amounts = {item_id: int(total) for item_id, total in rows}
    returned = []
    for item_id in sorted(amounts):
        row = await _increase(session, item_id, amounts[item_id], now)
        if row is not None:
            returned.append(Consumed(item_id, amounts[item_id], int(row[0])))
    await record_movements(
        session,
        MovementType.RETURN,
        returned,
        reason="Заказ отменён",
        user_id=user_id,
        order_id=order_id,
        now=now,
    )


async def apply_movement(
    session: AsyncSession, item: Ingredient, movement: MovementIn, *, user_id: str | None
) -> list[Event]:
    """A manual change: addition/return add, waste/consumption subtract, recount sets."""
    now = utcnow()
    amount = to_milli(movement.quantity)
    events: list[Event] = []
    if movement.type is MovementType.RECOUNT:
        locked = await session.scalar(
            select(Ingredient.quantity_milli).where(Ingredient.id == item.id).with_for_update()
        )
        before = int(locked or 0)
        await session.execute(
            update(Ingredient)
            .where(Ingredient.id == item.id)
            .values(quantity_milli=amount, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        balance, moved = amount, abs(amount - before)
        if fell_below_minimum(before, amount, item.min_quantity_milli):
            events.append(
                low_stock_event(item.id, item.name, item.unit, amount, item.min_quantity_milli)
            )
    elif movement.type in (MovementType.ADDITION, MovementType.RETURN):
        if amount <= 0:
            raise BadRequest("Quantity must be greater than zero")
        row = await _increase(session, item.id, amount, now)
        balance, moved = int(row[0]), amount
    else:
        if amount <= 0:
            raise BadRequest("Quantity must be greater than zero")
        consumed, events = await consume(session, {item.id: amount}, now=now)
        balance, moved = consumed[0].balance, amount
    await session.execute(
        insert(StockMovement),
        [
            _movement_row(
                item.id,
                movement.type,
                moved,
                balance,
                reason=movement.reason,
                user_id=user_id,
                now=now,
            )
        ],
    )
    await session.refresh(item)
    return events


async def consume_for_order(
    session: AsyncSession,
    needs: Mapping[str, int],
    *,
    order_id: str,
    user_id: str | None,
    now: datetime,
) -> list[Event]:
    """Take an order's ingredients from stock and record the movements, all or nothing
    (the portable path; PostgreSQL uses :func:`consume_for_order_and_publish`'s statement).

    A shortfall raises 409 naming the ingredient; the caller's transaction is then rolled
    back, so nothing of the order (stock, movements, the order itself) is written.
    """
    consumed, low = await consume(session, needs, now=now)
    await record_movements(
        session,
        MovementType.CONSUMPTION,
        consumed,
        reason=ORDER_REASON,
        user_id=user_id,
        order_id=order_id,
        now=now,
    )
    return low


@functools.lru_cache(maxsize=64)
def _consume_record_and_publish_sql(count: int) -> TextClause:
    """PostgreSQL: an order's whole stock-and-outbox step in one statement.

    Every conditional decrease with its movement, then the outbox lock and the events: the
    order's own, and a ``stock.low`` for each ingredient this order took below its minimum.
    The outbox lock is taken after the row locks (it depends on ``moved``).  Rows stay
    locked for this statement and the commit only, instead of several round trips: that is
    what bounds throughput when many orders want the same ingredients.

    Only placeholders are generated here, never values.  ``locked`` takes the row locks in
    id order before anything changes, so orders sharing ingredients queue in the same order
    and never deadlock (a plain multi-row UPDATE locks rows in plan order).
    """
    rows = ", ".join(f"(:id{i}, CAST(:amount{i} AS BIGINT), {i})" for i in range(count))
    return text(f"""
        WITH needs(id, amount, position) AS (VALUES {rows}),
        locked AS (
            SELECT item.id FROM ingredients AS item
            WHERE item.id IN (SELECT id FROM needs)
            ORDER BY item.id
            FOR UPDATE
        ),
        moved AS (
            UPDATE ingredients AS item
            SET quantity_milli = item.quantity_milli - needs.amount, updated_at = :now
            FROM needs, locked
            WHERE item.id = needs.id AND item.id = locked.id
              AND item.quantity_milli >= needs.amount
            RETURNING item.id, item.quantity_milli, item.min_quantity_milli, item.name,
                      item.unit, needs.amount
        ),
        recorded AS (
            INSERT INTO stock_movements
                (ingredient_id, type, quantity_milli, balance_milli, reason, user_id,
                 order_id, created_at)
            SELECT id, 'consumption', amount, quantity_milli, :reason, :user_id, :order_id, :now
            FROM moved
        ),
        outbox_lock AS (
            SELECT pg_advisory_xact_lock(:lock_key) FROM (SELECT count(*) FROM moved) AS done
        ),
        published AS (
            INSERT INTO backend_outbox (type, payload, created_at)
            SELECT new.type, new.payload, :now
            FROM outbox_lock, (
                SELECT 0 AS position, CAST(:event_type AS VARCHAR) AS type,
                       CAST(:event AS JSONB) AS payload
                UNION ALL
                SELECT 1 + row_number() OVER (ORDER BY id), :low_type,
                       jsonb_build_object(
                           'stockItemId', id, 'ingredientId', id, 'name', name,
                           'quantity', quantity_milli::float8 / 1000,
                           'minQuantity', min_quantity_milli::float8 / 1000, 'unit', unit)
                FROM moved
                WHERE quantity_milli < min_quantity_milli
                  AND quantity_milli + amount >= min_quantity_milli
            ) AS new
            ORDER BY new.position
        )
        SELECT id FROM moved
    """)  # noqa: S608 (placeholders only)


async def consume_for_order_and_publish(
    session: AsyncSession,
    needs: Mapping[str, int],
    event: Event,
    *,
    order_id: str,
    user_id: str | None,
    now: datetime,
) -> None:
    """Take an order's ingredients, record the movements, and publish ``event`` with any
    low-stock events, all or nothing (409 naming the ingredient on a shortfall)."""
    if not needs or session.get_bind().dialect.name != "postgresql":
        low = await consume_for_order(session, needs, order_id=order_id, user_id=user_id, now=now)
        await outbox.record(session, [event, *low], now=now)
        return
    ordered = sorted(needs)
    kind, data = event
    params: dict[str, Any] = {
        "now": now,
        "reason": ORDER_REASON,
        "user_id": user_id,
        "order_id": order_id,
        "lock_key": outbox.OUTBOX_LOCK_KEY,
        "event_type": kind,
        "event": json.dumps(data, ensure_ascii=False),
        "low_type": STOCK_LOW,
    }
    for i, item_id in enumerate(ordered):
        params[f"id{i}"], params[f"amount{i}"] = item_id, needs[item_id]
    result = await session.execute(_consume_record_and_publish_sql(len(ordered)), params)
    moved = {row[0] for row in result}
    if len(moved) < len(ordered):
        short = next(item_id for item_id in ordered if item_id not in moved)
        raise await _not_enough(session, short, needs[short])
