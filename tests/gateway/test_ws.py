"""The ``/ws`` protocol and its bad-input handling, over a real socket (backend not needed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from fodi.core.settings import Settings
from fodi.gateway.app import create_app
from tests.gateway.conftest import gateway_settings
from tests.gateway.support import WsClient, serve, ws, ws_url
from tests.support import TEST_JWT_SECRET, bearer


def _token(user_id: str, role: str = "user") -> str:
    return bearer(user_id, role)["Authorization"].removeprefix("Bearer ")


@pytest.fixture
async def lone_gateway(settings: Settings) -> AsyncIterator[str]:
    """A gateway whose backend is down (nothing listens on port 9)."""
    configured = gateway_settings(
        settings.model_copy(update={"go_backend_url": "http://127.0.0.1:9/api"}),
        backend_retries=0,
        ws_messages_per_second=5.0,
        ws_burst=10,
    )
    async with serve(create_app(configured)) as base:
        yield base


async def test_ping_auth_and_guest_chat(lone_gateway: str) -> None:
    async with ws(ws_url(lone_gateway)) as client:
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}
        await client.send({"type": "chat", "text": "привет"})
        reply = await client.receive()
        assert reply["type"] == "chat_response"
        assert reply["from_ai"] is True
        assert reply["intent"] == "Greeting"
        await client.send({"type": "command", "action": "get_menu"})
        assert await client.receive() == {"type": "error", "message": "Not authenticated"}
        await client.send({"type": "auth", "token": _token("u-1", "admin")})
        frame = await client.receive()
        assert frame["type"] == "auth_success"
        assert frame["user_id"] == "u-1"
        assert frame["role"] == "admin"  # a plain string, not the original's '"admin"'


async def test_query_token_and_forged_tokens(lone_gateway: str) -> None:
    async with ws(ws_url(lone_gateway, f"/ws?token={_token('u-2')}")) as client:
        assert (await client.receive())["type"] == "auth_success"
    async with ws(ws_url(lone_gateway, "/ws?token=forged")) as client:
        assert await client.receive() == {
            "type": "auth_failed",
            "reason": "Invalid token in query params",
        }
        from fodi.core.security import TokenClaims, TokenCodec

        other = TokenCodec("another-secret-0123456789abcdef-0123456789").issue(
            TokenClaims("x", "", "admin")
        )
        await client.send({"type": "auth", "token": other})
        assert await client.receive() == {"type": "auth_failed", "reason": "Invalid token"}
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}
    assert TEST_JWT_SECRET


async def test_bad_frames_get_error_frames_and_the_connection_lives(lone_gateway: str) -> None:
    async with ws(ws_url(lone_gateway)) as client:
        await client.send("{not json")
        assert (await client.receive())["message"].startswith("Invalid message format")
        await client.send("[1, 2]")
        assert (await client.receive())["type"] == "error"
        await client.send({"type": "teleport"})
        assert await client.receive() == {
            "type": "error",
            "message": "Unknown message type: teleport",
        }
        await client.connection.send(b"\x00\x01binary")
        assert (await client.receive())["type"] == "error"
        await client.send({"type": "chat", "text": "x" * (1024 * 1024)})
        assert "too large" in (await client.receive())["message"]
        await client.send({"type": "chat", "text": 42})
        assert (await client.receive())["type"] == "error"
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}


async def test_flood_is_limited_per_connection(lone_gateway: str) -> None:
    async with ws(ws_url(lone_gateway)) as flooder, ws(ws_url(lone_gateway)) as calm:
        for _ in range(60):
            await flooder.send({"type": "ping"})
        frames: list[dict[str, Any]] = []
        while not await flooder.nothing(0.0) or len(frames) < 11:
            try:
                frames.append(await flooder.receive(1.0))
            except TimeoutError:
                break
        pongs = [f for f in frames if f["type"] == "pong"]
        errors = [f for f in frames if f["type"] == "error"]
        assert 10 <= len(pongs) < 60
        assert errors
        assert "slow down" in errors[0]["message"]
        await calm.send({"type": "ping"})  # another client is unaffected
        assert await calm.receive() == {"type": "pong"}
        await asyncio.sleep(0.5)  # the bucket refills
        await flooder.send({"type": "ping"})
        assert (await flooder.receive_type("pong"))["type"] == "pong"


async def test_persistent_flooder_is_disconnected(lone_gateway: str) -> None:
    async def flood(client: WsClient) -> None:
        for _ in range(2000):
            await client.send(json.dumps({"type": "ping"}))
        for _ in range(3000):
            await client.receive(2.0)

    async with ws(ws_url(lone_gateway)) as client:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await flood(client)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008


async def test_commands_with_backend_down_say_so(lone_gateway: str) -> None:
    async with ws(ws_url(lone_gateway, f"/ws?token={_token('u-3')}")) as client:
        await client.receive_type("auth_success")
        await client.send({"type": "command", "action": "get_menu"})
        frame = await client.receive()
        assert frame["type"] == "error"
        assert "Backend unavailable" in frame["message"]
        await client.send({"type": "command", "action": "create_order", "params": {"x": 1}})
        assert await client.receive() == {
            "type": "error",
            "message": "Отсутствуют параметры заказа",
        }
        await client.send({"type": "command", "action": "fly"})
        assert await client.receive() == {"type": "error", "message": "Unknown command: fly"}
        await client.send({"type": "chat", "text": "покажи меню"})
        reply = await client.receive()
        assert reply["type"] == "chat_response"
        assert "ошибка" in reply["text"]


async def test_admin_order_socket_needs_a_staff_token(lone_gateway: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with ws(ws_url(lone_gateway, "/api/v1/admin/ws?token=forged")):
            pass
    assert refused.value.response.status_code == 403
    with pytest.raises(websockets.InvalidStatus):
        async with ws(ws_url(lone_gateway, f"/api/v1/admin/ws?token={_token('c', 'user')}")):
            pass
    async with ws(ws_url(lone_gateway, f"/api/v1/admin/ws?token={_token('a', 'admin')}")) as admin:
        assert await admin.receive() == {
            "type": "connected",
            "data": {"message": "Connected to admin order notifications", "status": "ready"},
        }
