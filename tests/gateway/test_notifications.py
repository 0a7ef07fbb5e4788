"""Notifications from the backend's event stream: who hears what, resume, restarts, fan-out.

Everything is real: the backend app and two gateway instances served by uvicorn on loopback
(one machine, one event loop), WebSocket clients, and orders moved through the backend's API.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from fodi.backend.app import create_app as create_backend
from fodi.backend.cli import load_demo
from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.gateway.app import create_app as create_gateway
from fodi.gateway.client import BackendClient, NewOrder, OrderLine
from tests.gateway.support import serve, ws, ws_url


@contextlib.asynccontextmanager
async def gateway(settings: Settings, backend_base: str, name: str) -> AsyncIterator[str]:
    section = settings.gateway.model_copy(
        update={"instance_name": name, "events_reconnect_max": 0.5}
    )
    configured = settings.model_copy(
        update={
            "gateway": section,
            "go_backend_url": f"{backend_base}/api",
            "orchestrator_enabled": False,
        }
    )
    app = create_gateway(configured)
    async with serve(app) as base:
        await asyncio.wait_for(_connected(app), 10)
        yield base


async def _connected(app: object) -> None:
    while getattr(app, "state").events is None:  # noqa: B009
        await asyncio.sleep(0.01)
    await getattr(app, "state").events.connected.wait()  # noqa: B009


async def test_notifications_fan_out_resume_and_survive_restarts(
    settings: Settings, committing_db: Database, tmp_path: Path
) -> None:
    async with committing_db.session() as session:
        await load_demo(session, settings)
        await session.commit()
    async with (
        serve(create_backend(settings, database=committing_db)) as backend_base,
        BackendClient(f"{backend_base}/api") as backend,
    ):
        admin = backend.as_user(
            (
                await backend.auth.login(
                    settings.backend.demo_admin_email, settings.backend.demo_admin_password
                )
            ).token
        )
        alice = await backend.auth.register(
            f"a-{uuid.uuid4().hex[:6]}@example.com", "password-123", "Alice"
        )
        bob = await backend.auth.register(
            f"b-{uuid.uuid4().hex[:6]}@example.com", "password-123", "Bob"
        )
        menu = {p.name: p for p in await backend.products.get_products()}
        line = OrderLine(product_id=menu["Калифорния"].id, quantity=1)
        order = NewOrder(name="Alice", phone="+7 900 000-00-03", address="ул. Мира 1", items=[line])

        async with (
            gateway(settings, backend_base, "g1") as g1,
            gateway(settings, backend_base, "g2") as g2,
        ):
            async with (
                ws(ws_url(g1, f"/ws?token={alice.token}")) as alice_g1,
                ws(ws_url(g2, f"/ws?token={alice.token}")) as alice_g2,
                ws(ws_url(g2, f"/ws?token={bob.token}")) as bob_g2,
                ws(ws_url(g2, f"/ws?token={admin.token}")) as staff_g2,
                ws(ws_url(g1, f"/api/v1/admin/ws?token={admin.token}")) as admin_socket,
            ):
                for client in (alice_g1, alice_g2, bob_g2, staff_g2):
                    await client.receive_type("auth_success")
                await admin_socket.receive_type("connected")

                created = await backend.as_user(alice.token).orders.create_order(order)
                new_order = await staff_g2.receive_type("notification")
                assert new_order["event"] == "new_order"
                assert new_order["data"]["orderId"] == created.order_id
                feed = await admin_socket.receive_type("new_order")
                assert feed["data"]["orderId"] == created.order_id
                assert {"total", "name", "phone", "address", "itemsCount", "createdAt"} <= set(
                    feed["data"]
                )

                await admin.orders.update_order_status_admin(created.order_id, "confirmed")
                on_g1 = await alice_g1.receive_type("notification")
                on_g2 = await alice_g2.receive_type("notification")  # the other instance too
                for frame in (on_g1, on_g2):
                    assert frame["event"] == "order_status_changed"
                    assert frame["data"]["status"] == "confirmed"
                confirmed_id = on_g1["id"]
                assert (await admin_socket.receive_type("order_updated"))["data"][
                    "status"
                ] == "confirmed"
                assert await bob_g2.nothing(0.3)  # not Bob's order
                assert await alice_g1.nothing(0.1)  # customers do not hear about new orders

            # Alice is offline while her order moves on; she resumes from her last id.
            await admin.orders.update_order_status_admin(created.order_id, "preparing")
            await asyncio.sleep(0.5)
            async with ws(
                ws_url(g1, f"/ws?token={alice.token}&last_event_id={confirmed_id}")
            ) as again:
                await again.receive_type("auth_success")
                missed = await again.receive_type("notification")
                assert missed["data"]["status"] == "preparing"
                assert missed["id"] > confirmed_id
                preparing_id = missed["id"]

        # Both gateways are down while the order becomes ready; a restarted g1 resumes
        # from its saved cursor and serves Alice what she missed (id in the auth frame).
        await admin.orders.update_order_status_admin(created.order_id, "ready")
        assert (settings.var_dir / "gateway" / "g1.cursor").read_text() == str(preparing_id)
        async with (
            gateway(settings, backend_base, "g1") as g1_again,
            ws(ws_url(g1_again)) as alice_back,
        ):
            await alice_back.send(
                {"type": "auth", "token": alice.token, "last_event_id": preparing_id}
            )
            await alice_back.receive_type("auth_success")
            ready = await alice_back.receive_type("notification")
            assert ready["data"]["status"] == "ready"
            assert await alice_back.nothing(0.3)  # nothing twice


async def test_health_reports_the_event_stream(settings: Settings, committing_db: Database) -> None:
    async with (
        serve(create_backend(settings, database=committing_db)) as backend_base,
        gateway(settings, backend_base, "g3") as g3,
        httpx.AsyncClient() as http,
    ):
        health = (await http.get(f"{g3}/api/v1/health")).json()
        assert health["backend"] == "up"
        assert health["events"] == "connected"
