"""The event stream: wire format, resuming with Last-Event-ID, live delivery, access."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime

import httpx
import pytest
from fastapi import FastAPI

from fodi.backend.app import create_app
from fodi.backend.events.router import _start_id
from fodi.core.db import Database
from fodi.core.errors import BadRequest
from fodi.core.settings import Settings
from tests.backend.helpers import ADMIN, dish, order_body
from tests.backend.sse import open_stream, payload
from tests.support import asgi_client, bearer


@pytest.fixture
async def live_app(settings: Settings, committing_db: Database) -> FastAPI:
    return create_app(settings, database=committing_db)


@pytest.fixture
async def live_admin(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(live_app, **ADMIN) as client:
        yield client


@pytest.fixture
async def guest(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(live_app) as client:
        yield client


async def test_events_resume_after_the_last_id_in_the_documented_format(
    live_app: FastAPI, live_admin: httpx.AsyncClient, guest: httpx.AsyncClient
) -> None:
    soup = await dish(live_admin, price="320", stock=100)
    placed = []
    for quantity in (1, 2, 3):
        response = await guest.post("/api/orders", json=order_body((soup.product_id, quantity)))
        placed.append(response.json()["orderId"])

    async with open_stream(live_app, "/api/events", ADMIN, query="after=0") as stream:
        assert stream.status == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        everything = await stream.messages(3)
    first_id = int(everything[0]["id"])

    async with open_stream(
        live_app, "/api/events", {**ADMIN, "Last-Event-ID": str(first_id)}
    ) as stream:
        rest = await stream.messages(2)

    assert [payload(m)["data"]["orderId"] for m in rest] == placed[1:]
    message = rest[0]
    body = payload(message)
    assert message["event"] == "order.created" == body["type"]
    assert int(message["id"]) == body["id"] > first_id
    assert set(body) == {"id", "type", "createdAt", "data"}
    assert body["createdAt"].endswith("Z")
    datetime.fromisoformat(body["createdAt"])
    assert body["data"] == {
        "orderId": placed[1],
        "userId": None,
        "total": 640.0,
        "status": "pending",
        "name": "Иван",
        "phone": "+79990000000",
        "address": "Москва, ул. Примерная, 1",
        "itemsCount": 1,
        "createdAt": body["data"]["createdAt"],
    }


async def test_new_events_reach_a_connected_client_quickly(
    live_app: FastAPI, live_admin: httpx.AsyncClient, guest: httpx.AsyncClient
) -> None:
    soup = await dish(live_admin, stock=100)
    order_id = (await guest.post("/api/orders", json=order_body((soup.product_id, 1)))).json()[
        "orderId"
    ]

    async with open_stream(live_app, "/api/events", ADMIN) as stream:  # from now on
        started = time.perf_counter()
        changed = await live_admin.put(
            f"/api/admin/orders/{order_id}/status", json={"status": "confirmed"}
        )
        assert changed.status_code == 200
        [message] = await stream.messages(1, timeout=2)
        elapsed = time.perf_counter() - started

    body = payload(message)
    assert message["event"] == "order.status_changed"
    assert body["data"] == {
        "orderId": order_id,
        "userId": None,
        "status": "confirmed",
        "previousStatus": "pending",
        "updatedAt": body["data"]["updatedAt"],
    }
    assert elapsed < 1.0


async def test_events_from_another_process_arrive_by_polling(
    live_app: FastAPI, live_admin: httpx.AsyncClient, settings: Settings, committing_db: Database
) -> None:
    other_process = create_app(settings, database=committing_db)  # its own in-process signal
    soup = await dish(live_admin, stock=100)
    async with open_stream(live_app, "/api/events", ADMIN) as stream:
        async with asgi_client(other_process) as client:
            await client.post("/api/orders", json=order_body((soup.product_id, 1)))
        [message] = await stream.messages(1, timeout=2)
    assert message["event"] == "order.created"


async def test_the_stream_is_for_admins_and_managers(app: FastAPI) -> None:
    async with asgi_client(app) as client:
        assert (await client.get("/api/events")).status_code == 401
        cook = await client.get("/api/events", headers=bearer("c", role="cook"))
        assert cook.status_code == 403
        bad = await client.get("/api/events", headers={**ADMIN, "Last-Event-ID": "abc"})
        assert bad.status_code == 400


def test_the_start_id_prefers_last_event_id() -> None:
    assert _start_id("42", 7) == 42
    assert _start_id(None, 7) == 7
    assert _start_id(" ", None) is None
    with pytest.raises(BadRequest):
        _start_id("-1", None)
