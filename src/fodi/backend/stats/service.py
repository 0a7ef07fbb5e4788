"""Dashboard figures, computed by the database (sums in integer minor units)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.backend.catalog import service as catalog
from fodi.backend.orders.models import Order, OrderItem
from fodi.backend.orders.service import Status
from fodi.backend.stats.schemas import PopularProduct, StatsOut
from fodi.backend.units import from_minor
from fodi.backend.users import service as users
from fodi.core.db import utcnow

POPULAR_LIMIT = 5


async def stats(session: AsyncSession, *, now: datetime | None = None) -> StatsOut:
    moment = now or utcnow()
    today = datetime.combine(moment.date(), time.min, tzinfo=moment.tzinfo)
    counted = Order.status != Status.CANCELLED.value
    total_orders = int(await session.scalar(select(func.count()).select_from(Order)) or 0)
    revenue = int(
        await session.scalar(select(func.coalesce(func.sum(Order.total_minor), 0)).where(counted))
        or 0
    )
    today_orders, today_revenue = (
        await session.execute(
            select(
                func.count(Order.id),
                func.coalesce(func.sum(Order.total_minor), 0),
            ).where(Order.created_at >= today, counted)
        )
    ).one()
    quantity = func.sum(OrderItem.quantity)
    popular_rows = await session.execute(
        select(
            OrderItem.product_id,
            OrderItem.product_name,
            quantity,
            func.sum(OrderItem.quantity * OrderItem.price_minor),
        )
        .join(Order, Order.id == OrderItem.order_id)
        .where(counted)
        .group_by(OrderItem.product_id, OrderItem.product_name)
        .order_by(quantity.desc(), OrderItem.product_name)
        .limit(POPULAR_LIMIT)
    )
    return StatsOut(
        totalUsers=await users.count(session),
        totalOrders=total_orders,
        totalProducts=await catalog.count_products(session),
        revenue=from_minor(revenue),
        totalRevenue=from_minor(revenue),
        today_orders=int(today_orders),
        today_revenue=from_minor(int(today_revenue)),
        popular_products=[
            PopularProduct(
                productId=pid, name=name, quantity=int(qty), revenue=from_minor(int(money))
            )
            for pid, name, qty, money in popular_rows
        ],
    )
