"""The gateway's HTTP surface with the real backend in-process."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from fodi.core.settings import Settings
from fodi.gateway.app import create_app
from tests.gateway.conftest import gateway_settings
from tests.gateway.support import bound_socket, serve
from tests.support import asgi_client, bearer


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _register(gw: httpx.AsyncClient) -> tuple[str, str]:
    email = f"g-{uuid.uuid4().hex[:8]}@example.com"
    response = await gw.post(
        "/api/v1/auth/register", json={"email": email, "password": "password-123", "name": "Гость"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body["user"]) == {"id", "email", "name", "role"}
    return body["token"], body["user"]["id"]


async def test_health_products_search_intents(gw: httpx.AsyncClient) -> None:
    assert (await gw.get("/health")).text == "OK"
    health = (await gw.get("/api/v1/health")).json()
    assert health["status"] == "healthy"
    assert health["service"] == "FodiFood AI Bot"
    products = (await gw.get("/api/v1/products")).json()
    assert {"Маргарита", "Том Ям"} <= {p["name"] for p in products}
    assert set(products[0]) == {"id", "name", "price", "description", "imageUrl", "category"}
    assert isinstance(products[0]["price"], int | float)
    salmon = (await gw.get("/api/v1/search", params={"ingredient": "лосось"})).json()
    assert "Филадельфия" in {p["name"] for p in salmon}
    assert (await gw.get("/api/v1/search")).status_code == 400
    recs = (
        await gw.post("/api/v1/recommendations", json={"user_id": "u", "preferences": "shrimp"})
    ).json()
    assert len(recs) == 3
    intent = (await gw.get("/api/v1/intents/что есть с креветками")).json()
    assert intent == {
        "text": "что есть с креветками",
        "intent": "SearchByIngredient",
        "extracted_ingredient": "кревет",
        "extracted_order_id": None,
    }
    status = (await gw.get("/api/v1/intents/статус заказа ORD-42")).json()
    assert status["intent"] == "OrderStatus"
    assert status["extracted_order_id"] == "ORD-42"


async def test_login_profile_and_errors_are_json(gw: httpx.AsyncClient, settings: Settings) -> None:
    creds = {
        "email": settings.backend.demo_admin_email,
        "password": settings.backend.demo_admin_password,
    }
    login = await gw.post("/api/v1/auth/login", json=creds)
    assert login.status_code == 200
    assert login.json()["user"]["role"] == "admin"
    bad = await gw.post("/api/v1/auth/login", json={**creds, "password": "nope-nope"})
    assert bad.status_code == 401
    assert bad.json()["error"].startswith("Login failed")
    assert bad.headers["content-type"] == "application/problem+json"
    token, user_id = await _register(gw)
    profile = (await gw.get("/api/v1/user/profile", headers=_auth(token))).json()
    assert profile["id"] == user_id
    assert profile["role"] == "user"
    assert (await gw.get("/api/v1/user/profile")).status_code == 401
    forged = await gw.get("/api/v1/user/profile", headers={"Authorization": "Bearer forged"})
    assert forged.status_code == 401
    assert forged.json()["error"] == "Invalid or expired token"
    email = profile["email"]
    dup = await gw.post(
        "/api/v1/auth/register", json={"email": email, "password": "password-123", "name": "x"}
    )
    assert dup.status_code == 409
    assert dup.json()["error"]


async def test_admin_endpoints_need_an_admin(gw: httpx.AsyncClient, admin_token: str) -> None:
    token, _ = await _register(gw)
    for path in (
        "/api/v1/admin/stats",
        "/api/v1/admin/orders",
        "/api/v1/admin/orders/recent",
        "/api/v1/admin/users",
    ):
        assert (await gw.get(path)).status_code == 401
        assert (await gw.get(path, headers=_auth(token))).status_code == 403
        assert (await gw.get(path, headers=_auth(admin_token))).status_code == 200, path
    stats = (await gw.get("/api/v1/admin/stats", headers=_auth(admin_token))).json()
    assert {"totalUsers", "totalOrders", "totalProducts", "revenue"} <= set(stats)
    command = await gw.post("/api/v1/admin/command", json={"command": "статус системы"})
    assert command.status_code == 401  # the original left it open


async def test_orders_through_the_gateway(gw: httpx.AsyncClient, admin_token: str) -> None:
    token, user_id = await _register(gw)
    products = {p["name"]: p for p in (await gw.get("/api/v1/products")).json()}
    body = {
        "name": "Анна",
        "phone": "+7 900 000-00-02",
        "address": "ул. Мира 5",
        "items": [{"productId": products["Том Ям"]["id"], "quantity": 2, "price": 1}],
    }
    created = await gw.post(
        "/api/v1/orders", json=body, headers={**_auth(token), "Idempotency-Key": "k-1"}
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["total"] == 2 * products["Том Ям"]["price"]  # the client's price is ignored
    again = await gw.post(
        "/api/v1/orders", json=body, headers={**_auth(token), "Idempotency-Key": "k-1"}
    )
    assert again.json()["orderId"] == order["orderId"]
    mine = (await gw.get("/api/v1/orders", headers=_auth(token))).json()
    assert [o["id"] for o in mine] == [order["orderId"]]
    assert mine[0]["userId"] == user_id
    bad = await gw.post("/api/v1/orders", json={**body, "items": []})
    assert bad.status_code == 400
    unknown = await gw.post(
        "/api/v1/orders", json={**body, "items": [{"productId": "nope", "quantity": 1}]}
    )
    assert unknown.status_code in (400, 404)
    assert unknown.json()["error"]
    admin_orders = (await gw.get("/api/v1/admin/orders", headers=_auth(admin_token))).json()
    assert order["orderId"] in {o["id"] for o in admin_orders}


async def test_chat_flow_with_memory_and_confirmation(gw: httpx.AsyncClient) -> None:
    token, _ = await _register(gw)

    async def say(text: str) -> dict[str, Any]:
        response = await gw.post(
            "/api/v1/chat", json={"user_id": "x", "message": text}, headers=_auth(token)
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    menu = await say("покажи меню")
    assert menu["intent"] == "ViewMenu"
    assert menu["products"]
    assert "Маргарита" in menu["response"]
    assert menu["suggestions"] == ["Показать роллы", "Показать суши", "Что посоветуешь?"]
    found = await say("что есть с креветками")
    assert found["intent"] == "SearchByIngredient"
    assert found["products"]
    price = await say("сколько стоит маргарита")
    assert "350₽" in price["response"]
    proposal = await say("закажи две маргариты")
    assert proposal["intent"] == "CreateOrder"
    assert "2 × Маргарита" in proposal["response"]
    more = await say("и ещё две таких")
    assert "4 × Маргарита" in more["response"]
    assert "1400₽" in more["response"]
    contact = await say("+7 900 123-45-67, ул. Ленина 1")
    assert "Подтвердить" in contact["response"]
    placed = await say("да")
    assert placed["intent"] == "CreateOrder"
    assert "принят" in placed["response"]
    status = await say("где мой заказ?")
    assert status["intent"] == "OrderStatus"
    assert "принят" in status["response"]
    cancelled = await say("отмени его")
    assert cancelled["intent"] == "CancelOrder"
    assert "отменён" in cancelled["response"]
    staff_only = await say("статистика")
    assert "сотрудникам" in staff_only["response"]
    alias = await gw.post("/api/v1/chat/message", json={"user_id": "guest-1", "message": "hello"})
    assert alias.json()["intent"] == "Greeting"
    assert alias.json()["products"] is None
    huge = await gw.post("/api/v1/chat", json={"user_id": "g", "message": "а" * 1_000_000})
    assert huge.status_code == 413
    metrics = (await gw.get("/metrics")).text
    assert 'ai_intent_invocations_total{intent="ViewMenu"}' in metrics
    assert "ai_intent_response_time_seconds_bucket" in metrics
    assert "ai_requests_total" in metrics


async def test_staff_chat_reads_stats_and_stock(gw: httpx.AsyncClient, admin_token: str) -> None:
    stats = await gw.post(
        "/api/v1/chat", json={"user_id": "a", "message": "статистика"}, headers=_auth(admin_token)
    )
    assert stats.json()["intent"] == "GetStatistics"
    assert "Заказов" in stats.json()["response"]
    stock = await gw.post(
        "/api/v1/chat",
        json={"user_id": "a", "message": "остатки на складе"},
        headers=_auth(admin_token),
    )
    assert "позиций" in stock.json()["response"]


@dataclass
class FakeStatus:
    state: str = "running"
    pid: int | None = 4242
    uptime_secs: float | None = 12.0
    restart_count: int = 0
    last_health_check: str = "healthy"


@dataclass
class RecordingSupervisor:
    """Stands in for the supervisor engineer's object (its documented interface)."""

    calls: list[tuple[str, str]] = field(default_factory=list)
    statuses: dict[str, FakeStatus] = field(default_factory=lambda: {"backend": FakeStatus()})

    def names(self) -> list[str]:
        return list(self.statuses)

    async def start(self, name: str) -> None:
        self.calls.append(("start", name))

    async def stop(self, name: str) -> None:
        self.calls.append(("stop", name))
        self.statuses[name].state = "stopped"

    async def restart(self, name: str, *, wait_healthy: bool = False) -> None:
        self.calls.append(("restart", name))
        self.statuses[name].restart_count += 1

    def status(self, name: str) -> FakeStatus:
        return self.statuses[name]


async def test_admin_command_acts_through_the_supervisor(
    gateway_app: FastAPI, gw: httpx.AsyncClient
) -> None:
    headers = bearer("admin-1", "admin")
    no_orchestrator = await gw.post(
        "/api/v1/admin/command", json={"command": "restart the backend"}, headers=headers
    )
    assert no_orchestrator.json()["response"].startswith("⚠️ Backend orchestrator")
    supervisor = RecordingSupervisor()
    gateway_app.state.supervisor = supervisor
    restart = (
        await gw.post(
            "/api/v1/admin/command", json={"command": "перезапусти бэкенд"}, headers=headers
        )
    ).json()
    assert restart["intent"] == "BackendControl(Restart)"
    assert supervisor.calls == [("restart", "backend")]
    assert "restarts 1" in restart["response"]
    system = (
        await gw.post("/api/v1/admin/command", json={"command": "статус системы"}, headers=headers)
    ).json()
    assert system["intent"] == "SystemStatus"
    assert "backend: running" in system["response"]
    metrics = (
        await gw.post("/api/v1/admin/command", json={"command": "покажи метрики"}, headers=headers)
    ).json()
    assert metrics["intent"] == "MetricsQuery(Dashboard)"
    assert "HTTP" in metrics["response"]
    forbidden = await gw.post(
        "/api/v1/admin/command", json={"command": "stop"}, headers=bearer("m", "manager")
    )
    assert forbidden.status_code == 403
    assert supervisor.calls == [("restart", "backend")]


async def test_notify_needs_staff(gw: httpx.AsyncClient) -> None:
    body = {"event": "new_order", "order_id": "o1"}
    assert (await gw.post("/notify", json=body)).status_code == 401
    assert (await gw.post("/notify", json=body, headers=bearer("c", "user"))).status_code == 403
    sent = await gw.post("/notify", json=body, headers=bearer("a", "admin"))
    assert sent.json() == {"success": True, "message": "Notification sent"}
    other = await gw.post("/notify", json={"event": "weird"}, headers=bearer("a", "admin"))
    assert other.json()["message"] == "Event received but not processed"


async def test_cors_preflight(gw: httpx.AsyncClient) -> None:
    preflight = await gw.options(
        "/api/v1/products",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


async def test_backend_down_is_a_quick_503_and_recovers(
    settings: Settings, backend_app: FastAPI
) -> None:
    sock = bound_socket()
    port = sock.getsockname()[1]
    sock.close()  # nothing listens here until the backend comes back
    configured = gateway_settings(
        settings.model_copy(update={"go_backend_url": f"http://127.0.0.1:{port}/api"}),
        backend_retries=1,
    )
    app = create_app(configured)
    async with asgi_client(app) as gw:
        started = time.perf_counter()
        down = await gw.get("/api/v1/products")
        assert down.status_code == 503
        assert time.perf_counter() - started < 2
        assert down.json()["error"].startswith("Backend unavailable: backend unreachable")
        assert (await gw.get("/api/v1/health")).json()["backend"] == "down"
        async with serve(backend_app, port=port, lifespan="off"):
            up = await gw.get("/api/v1/products")
            assert up.status_code == 200
            assert up.json()
        await asyncio.sleep(0)
    await app.state.backend.aclose()
