"""Real concurrency on PostgreSQL: separate sessions, real commits, racing requests."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from fodi.backend.app import create_app
from fodi.backend.inventory.models import Ingredient
from fodi.backend.orders.models import Order
from fodi.core.db import Database
from fodi.core.settings import Settings
from tests.backend.helpers import ADMIN, dish, order_body
from tests.support import asgi_client

pytestmark = pytest.mark.postgres


@pytest.fixture
def live_app(settings: Settings, committing_db: Database) -> FastAPI:
    return create_app(settings, database=committing_db)


@pytest.fixture
async def guest(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(live_app) as client:
        yield client


async def _orders_and_stock(database: Database, ingredient_id: str) -> tuple[int, int]:
    async with database.session() as session:
        orders = await session.scalar(select(func.count()).select_from(Order))
        stock = await session.scalar(
            select(Ingredient.quantity_milli).where(Ingredient.id == ingredient_id)
        )
    return int(orders or 0), int(stock if stock is not None else -1)


async def test_fifty_racing_orders_for_ten_portions_make_exactly_ten(
    live_app: FastAPI, guest: httpx.AsyncClient, committing_db: Database
) -> None:
    async with asgi_client(live_app, **ADMIN) as admin:
        rolls = await dish(admin, price="450", stock=10)

    responses = await asyncio.gather(
        *(guest.post("/api/orders", json=order_body((rolls.product_id, 1))) for _ in range(50))
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 10, 409: 40}
    assert all(
        r.json()["ingredient"]["id"] == rolls.ingredient_id
        for r in responses
        if r.status_code == 409
    )
    orders, stock = await _orders_and_stock(committing_db, rolls.ingredient_id)
    assert (orders, stock) == (10, 0)


async def test_racing_retries_with_one_idempotency_key_make_one_order(
    live_app: FastAPI, guest: httpx.AsyncClient, committing_db: Database
) -> None:
    async with asgi_client(live_app, **ADMIN) as admin:
        pizza = await dish(admin, price="350", stock=100)
    body = order_body((pizza.product_id, 2))

    responses = await asyncio.gather(
        *(
            guest.post("/api/orders", json=body, headers={"Idempotency-Key": "same-click"})
            for _ in range(20)
        )
    )

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["orderId"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 19
    orders, stock = await _orders_and_stock(committing_db, pizza.ingredient_id)
    assert (orders, stock) == (1, 98_000)


async def test_racing_cancellations_return_the_stock_once(
    live_app: FastAPI, guest: httpx.AsyncClient, committing_db: Database
) -> None:
    async with asgi_client(live_app, **ADMIN) as admin:
        soup = await dish(admin, stock=10)
        order_id = (await guest.post("/api/orders", json=order_body((soup.product_id, 4)))).json()[
            "orderId"
        ]
        responses = await asyncio.gather(
            *(
                admin.put(f"/api/admin/orders/{order_id}/status", json={"status": "cancelled"})
                for _ in range(10)
            )
        )
    assert Counter(r.status_code for r in responses) == {200: 1, 409: 9}
    _, stock = await _orders_and_stock(committing_db, soup.ingredient_id)
    assert stock == 10_000
