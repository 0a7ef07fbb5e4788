"""The typed backend client against the real backend app (in-process), and its retry rules."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from fodi.gateway.client import (
    BackendClient,
    BackendUnavailable,
    Conflict,
    Forbidden,
    InvalidRequest,
    NewOrder,
    NotFound,
    OrderLine,
    Unauthorized,
)
from fodi.gateway.client.events import parse_sse


async def _customer(backend: BackendClient) -> BackendClient:
    email = f"c-{uuid.uuid4().hex[:8]}@example.com"
    session = await backend.auth.register(email, "password-123", "Customer")
    assert session.user.role == "user"
    return backend.as_user(session.token)


async def test_products_search_and_menu_text(backend: BackendClient) -> None:
    products = await backend.products.get_products()
    names = {p.name for p in products}
    assert {"Филадельфия", "Калифорния", "Маргарита", "Пепперони", "Том Ям"} <= names
    assert all(isinstance(p.price, Decimal) for p in products)
    found = await backend.products.find_product_by_name("маргар")
    assert found is not None
    assert found.name == "Маргарита"
    assert await backend.products.find_product_by_name("борщ космический") is None
    salmon = {p.name for p in await backend.products.filter_by_ingredient("salmon")}
    assert "Филадельфия" in salmon
    text = backend.products.format_products_list(products)
    assert "**Маргарита** — 350₽" in text
    assert "Пицца" in text
    detail = await backend.products.get_product(found.id)
    assert detail.ingredients


async def test_login_verify_profile(backend: BackendClient, admin_token: str) -> None:
    verified = await backend.auth.verify_token(admin_token)
    assert verified.valid
    assert verified.role == "admin"
    assert not (await backend.auth.verify_token("forged.token.value")).valid
    admin = backend.as_user(admin_token)
    profile = await admin.auth.get_user_profile()
    assert profile.role == "admin"
    with pytest.raises(Unauthorized) as refused:
        await backend.auth.login("admin@fodifood.local", "wrong-password")
    assert refused.value.status == 401
    assert refused.value.message


async def test_order_creation_is_idempotent_and_typed(backend: BackendClient) -> None:
    customer = await _customer(backend)
    menu = {p.name: p for p in await backend.products.get_products()}
    order = NewOrder(
        name="Анна",
        phone="+7 900 000-00-01",
        address="ул. Ленина 1",
        items=[OrderLine(product_id=menu["Маргарита"].id, quantity=2)],
    )
    first = await customer.orders.create_order(order, idempotency_key="key-abc-1")
    again = await customer.orders.create_order(order, idempotency_key="key-abc-1")
    assert first.order_id == again.order_id
    assert first.total == Decimal("700")
    assert first.status == "pending"
    mine = await customer.orders.get_orders()
    assert [o.id for o in mine] == [first.order_id]
    fetched = await customer.orders.get_order(first.order_id)
    assert fetched.items[0].quantity == 2
    cancelled = await customer.orders.cancel_order(first.order_id)
    assert cancelled.status == "cancelled"
    with pytest.raises(Conflict):
        await customer.orders.cancel_order(first.order_id)
    with pytest.raises(NotFound):
        await customer.orders.get_order(str(uuid.uuid4()))


async def test_admin_calls(backend: BackendClient, admin_token: str) -> None:
    admin = backend.as_user(admin_token)
    stats = await admin.admin.get_stats()
    assert stats.total_products
    assert stats.total_products >= 6
    ingredients = await admin.admin.get_ingredients()
    assert ingredients
    assert ingredients[0].display_name
    created = await admin.admin.create_ingredient(
        {"name": "Тестовый имбирь", "unit": "kg", "quantity": 3, "minQuantity": 1}
    )
    movements = await admin.admin.get_ingredient_movements(created.id)
    assert movements
    assert movements[0].quantity == Decimal(3)
    updated = await admin.admin.update_ingredient(
        created.id, {"name": "Тестовый имбирь", "unit": "kg", "quantity": 5}
    )
    assert updated.quantity == Decimal(5)
    assert await admin.admin.delete_ingredient(created.id)
    users = await admin.auth.get_users()
    assert any(u.role == "admin" for u in users)
    recent = await admin.orders.get_recent_orders_admin()
    assert isinstance(recent, list)
    with pytest.raises(Forbidden):
        await (await _customer(backend)).admin.get_stats()
    with pytest.raises(Unauthorized):
        await backend.admin.get_stats()
    with pytest.raises(InvalidRequest):
        await admin.orders.update_order_status_admin(str(uuid.uuid4()), "teleported")


async def test_unreachable_backend_is_a_typed_error_not_a_hang() -> None:
    async with BackendClient("http://127.0.0.1:9/api", timeout=1.0, backoff=0.01) as client:
        with pytest.raises(BackendUnavailable) as down:
            await client.products.get_products()
    assert "unreachable" in down.value.message


async def test_idempotent_calls_retry_and_unkeyed_posts_do_not() -> None:
    calls: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if len(calls) % 3:
            return httpx.Response(503, json={"error": "warming up"})
        return httpx.Response(200, json=[])

    transport = httpx.MockTransport(flaky)
    async with BackendClient("http://x/api", transport=transport, backoff=0.001) as client:
        assert await client.products.get_products() == []
        assert calls == ["GET", "GET", "GET"]
        calls.clear()
        with pytest.raises(BackendUnavailable) as refused:
            await client.auth.login("a@b.c", "x")
        assert calls == ["POST"]
        assert refused.value.message == "warming up"


async def test_order_retry_keeps_one_idempotency_key() -> None:
    keys: list[str | None] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers.get("Idempotency-Key"))
        if len(keys) == 1:
            raise httpx.ConnectError("reset")
        return httpx.Response(
            201, json={"message": "ok", "orderId": "o1", "total": 1.5, "status": "pending"}
        )

    async with BackendClient(
        "http://x/api", transport=httpx.MockTransport(flaky), backoff=0.001
    ) as client:
        order = NewOrder(
            name="a", phone="1", address="b", items=[OrderLine(product_id="p", quantity=1)]
        )
        created = await client.orders.create_order(order)
    assert created.total == Decimal("1.5")
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert keys[0]


async def test_sse_parser_handles_comments_and_bad_data() -> None:
    lines = [
        ": ping",
        "id: 3",
        "event: order.created",
        'data: {"id": 3, "type": "order.created", "createdAt": "2026-01-01T00:00:00Z",',
        'data: "data": {"orderId": "o"}}',
        "",
        "data: not json",
        "",
        "id: 4",
        'data: {"type": "stock.low", "data": {}}',
        "",
    ]

    async def feed() -> AsyncIterator[str]:
        for line in lines:
            yield line

    events = [e async for e in parse_sse(feed())]
    assert [(e.id, e.type) for e in events] == [(3, "order.created"), (4, "stock.low")]
