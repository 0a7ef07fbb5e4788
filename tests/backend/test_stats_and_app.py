"""Stats, health, CORS, the OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from fodi.backend.app import create_app
from fodi.core.db import Database
from fodi.core.settings import Settings
from tests.backend.helpers import dish, order_body


async def test_stats_count_revenue_without_cancelled_orders(
    client: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    before = (await admin.get("/api/admin/stats")).json()
    rolls = await dish(admin, price="450", stock=50)
    cola = await dish(admin, price="90.50", stock=50)
    await client.post("/api/orders", json=order_body((rolls.product_id, 2), (cola.product_id, 1)))
    doomed = (await client.post("/api/orders", json=order_body((rolls.product_id, 5)))).json()
    await admin.put(f"/api/admin/orders/{doomed['orderId']}/status", json={"status": "cancelled"})

    stats = (await admin.get("/api/admin/stats")).json()

    assert stats["totalOrders"] == before["totalOrders"] + 2
    assert stats["revenue"] == pytest.approx(before["revenue"] + 990.5)
    assert stats["totalRevenue"] == stats["revenue"]
    assert stats["totalProducts"] == before["totalProducts"] + 2
    assert stats["today_orders"] == before["today_orders"] + 1
    assert stats["today_revenue"] == pytest.approx(before["today_revenue"] + 990.5)
    popular = {p["productId"]: p for p in stats["popular_products"]}
    assert popular[rolls.product_id]["quantity"] == 2  # the cancelled five do not count
    assert popular[rolls.product_id]["revenue"] == 900.0


async def test_health_endpoints(client: httpx.AsyncClient) -> None:
    root = await client.get("/health")
    assert (root.status_code, root.text) == (200, "ok")
    api = await client.get("/api/health")
    assert api.json() == {
        "status": "ok",
        "data": {"service": "menu-fodifood-backend", "database": "connected"},
    }


async def test_api_health_reports_a_dead_database(settings: Settings) -> None:
    broken = Database.from_url("postgresql://nobody@127.0.0.1:1/none")
    app = create_app(settings, database=broken)
    from tests.support import asgi_client

    async with asgi_client(app) as client:
        response = await client.get("/api/health")
    await broken.dispose()
    assert response.status_code == 503
    assert response.json()["error"] == "Database unavailable"


async def test_cors_preflight_allows_patch_and_auth_headers(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/api/admin/users/update-role",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "PATCH" in response.headers["access-control-allow-methods"]
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed
    foreign = await client.options(
        "/api/products",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in foreign.headers


async def test_every_api_route_documents_its_errors(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    undocumented = []
    for path, operations in spec["paths"].items():
        if path in ("/health", "/api/categories"):
            continue
        for method, operation in operations.items():
            codes = {int(c) for c in operation["responses"] if c.isdigit()}
            if not any(400 <= c < 600 for c in codes):
                undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []
    for method in ("get", "post"):
        assert method in spec["paths"]["/api/orders"]
    assert "409" in spec["paths"]["/api/orders"]["post"]["responses"]
