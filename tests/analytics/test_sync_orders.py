"""`fodi analytics sync-orders`: FodiFood orders → payments over the backend's admin API."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Header, Query, Response
from sqlalchemy import select
from typer.testing import CliRunner

from fodi.analytics.models import Payment
from fodi.analytics.money import to_minor
from fodi.analytics.orders_sync import SyncError, sync_orders
from fodi.cli import app as cli_app
from fodi.core.db import Database
from fodi.core.errors import install_error_handlers
from fodi.core.security import TokenCodec
from fodi.core.settings import Settings
from tests.support import TEST_JWT_SECRET, asgi_client, bearer


async def _payments(database: Database) -> dict[str, Payment]:
    async with database.session() as session:
        rows = (await session.execute(select(Payment).where(Payment.source == "orders"))).scalars()
        return {row.order_id or "": row for row in rows}


async def test_sync_from_the_real_backend(settings: Settings, committing_db: Database) -> None:
    backend_app = pytest.importorskip("fodi.backend.app")
    from fodi.backend.cli import load_demo

    async with committing_db.session() as session:
        await load_demo(session, settings)
        await session.commit()
    backend = backend_app.create_app(settings, database=committing_db)
    admin = bearer("admin-1", "admin")
    async with asgi_client(backend) as http:
        products = (await http.get("/api/products")).json()
        created = []
        for quantity in (1, 2, 3):
            response = await http.post(
                "/api/orders",
                json={
                    "name": "Guest",
                    "phone": "+996555000111",
                    "address": "Bishkek, Chui 1",
                    "items": [{"productId": products[quantity]["id"], "quantity": quantity}],
                },
            )
            assert response.status_code == 201, response.text
            created.append(response.json())
        moved = await http.put(
            f"/api/admin/orders/{created[0]['orderId']}/status",
            json={"status": "confirmed"},
            headers=admin,
        )
        assert moved.status_code == 200, moved.text

    async def run_sync() -> Any:
        transport = httpx.ASGITransport(app=backend)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://backend") as client,
            committing_db.session() as session,
        ):
            return await sync_orders(session, client, settings.analytics, TEST_JWT_SECRET)

    report = await run_sync()
    assert (report.orders, report.inserted, report.updated) == (3, 3, 0)
    synced = await _payments(committing_db)
    for order in created:
        payment = synced[order["orderId"]]
        assert payment.amount == to_minor(Decimal(str(order["total"])), "KGS")
        assert payment.currency == "KGS"
        assert payment.location == "FodiFood"
    assert synced[created[0]["orderId"]].status == "succeeded"
    assert synced[created[1]["orderId"]].status == "pending"
    again = await run_sync()
    assert (again.inserted, again.updated) == (0, 0)
    async with asgi_client(backend) as http:
        await http.put(
            f"/api/admin/orders/{created[1]['orderId']}/status",
            json={"status": "cancelled"},
            headers=admin,
        )
    changed = await run_sync()
    assert (changed.inserted, changed.updated) == (0, 1)
    assert (await _payments(committing_db))[created[1]["orderId"]].status == "canceled"


def _fake_backend(orders: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    codec = TokenCodec(TEST_JWT_SECRET)

    @app.get("/api/admin/orders")
    def admin_orders(
        response: Response,
        limit: int = Query(50),
        offset: int = Query(0),
        authorization: str = Header(""),
    ) -> dict[str, Any]:
        claims = codec.verify(authorization.removeprefix("Bearer "))
        assert claims.role == "admin"
        response.headers["X-Total-Count"] = str(len(orders))
        return {"orders": orders[offset : offset + limit]}

    return app


async def test_sync_pages_through_every_order(settings: Settings, committing_db: Database) -> None:
    orders: list[dict[str, Any]] = [
        {
            "id": f"o{n}",
            "status": "delivered" if n % 3 else "cancelled",
            "total": 450.5,
            "createdAt": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
            "userId": f"u{n % 7}",
            "user": {"id": f"u{n % 7}", "email": f"u{n % 7}@example.com"},
            "items": [],
        }
        for n in range(450)
    ] + [{"id": "weird", "status": "teleported", "total": 1, "createdAt": "2026-01-01"}]
    transport = httpx.ASGITransport(app=_fake_backend(orders))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://backend") as client,
        committing_db.session() as session,
    ):
        report = await sync_orders(session, client, settings.analytics, TEST_JWT_SECRET)
    assert (report.orders, report.inserted, report.skipped) == (451, 450, 1)
    synced = await _payments(committing_db)
    assert synced["o1"].amount == 45050
    assert synced["o1"].customer_email == "u1@example.com"
    assert synced["o0"].status == "canceled"


async def test_sync_reports_a_refusing_backend(settings: Settings, db: Database) -> None:
    transport = httpx.ASGITransport(app=_fake_backend([]))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://backend") as client,
        db.session() as session,
    ):
        with pytest.raises(SyncError):
            await sync_orders(
                session, client, settings.analytics, "another-secret-that-is-long-enough-0123456789"
            )


def test_sync_cli_says_when_the_backend_is_unreachable(migrated_url: str, tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        "DATABASE_URL": migrated_url,
        "JWT_SECRET": TEST_JWT_SECRET,
        "FODI_VAR_DIR": str(tmp_path),
    }
    result = CliRunner().invoke(
        cli_app, ["analytics", "sync-orders", "--backend-url", f"http://127.0.0.1:{port}"], env=env
    )
    assert result.exit_code == 1
    assert "unreachable" in result.output
