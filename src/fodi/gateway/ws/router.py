"""WebSocket ``/ws`` (the original protocol) and the admin order socket ``/api/v1/admin/ws``.

Client frames: ``auth {token, last_event_id?}``, ``chat {text}``, ``command {action,
params?}``, ``ping``.  Server frames: ``auth_success {user_id, role, name?, email?}``,
``auth_failed {reason}``, ``chat_response {text, from_ai, intent}``, ``command_response
{action, data, success}``, ``notification {event, data, id}``, ``error {message}``, ``pong``.
Bad input of any kind gets an ``error`` frame and the connection lives on; a client that
floods is told so, and disconnected only if it keeps flooding.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import structlog
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from pydantic import ValidationError

from fodi.core.errors import Unauthorized as TokenRefused
from fodi.gateway.assistant.engine import Assistant
from fodi.gateway.client import BackendClient, BackendError, BackendUnavailable, NewOrder
from fodi.gateway.config import GatewaySettings
from fodi.gateway.identity import Caller, caller_from_token
from fodi.gateway.ws.hub import Connection, Hub

router = APIRouter()
log = structlog.get_logger(__name__)

CHAT_ERROR = "Извините, произошла ошибка при обработке сообщения 😔"
MAX_DROPPED = 200  # messages refused for flooding before the connection is closed


class TokenBucket:
    """``rate`` messages a second with bursts of ``burst`` (per connection)."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def _error(message: str) -> dict[str, Any]:
    return {"type": "error", "message": message}


def _auth_success(caller: Caller) -> dict[str, Any]:
    # The role as a plain string (the original sent it Debug-quoted: "\"admin\"").
    frame = {"type": "auth_success", "user_id": caller.user_id, "role": caller.role}
    if caller.email:
        frame["email"] = caller.email
    return frame


class Session:
    """One ``/ws`` connection's protocol state."""

    def __init__(self, websocket: WebSocket, connection: Connection) -> None:
        app = websocket.app
        self.websocket = websocket
        self.connection = connection
        self.hub: Hub = app.state.hub
        self.assistant: Assistant = app.state.assistant
        self.backend: BackendClient = app.state.backend
        self.config: GatewaySettings = app.state.settings.gateway
        self.codec = app.state.tokens
        self.bucket = TokenBucket(self.config.ws_messages_per_second, self.config.ws_burst)
        self.dropped = 0

    def send(self, frame: dict[str, Any]) -> None:
        self.hub.send_to([self.connection], frame)

    def authenticate(self, token: str, last_event_id: Any, *, from_query: bool) -> None:
        try:
            caller = caller_from_token(self.codec, token)
        except TokenRefused:
            reason = "Invalid token in query params" if from_query else "Invalid token"
            self.send({"type": "auth_failed", "reason": reason})
            return
        self.hub.identify(self.connection, caller)
        self.send(_auth_success(caller))
        if isinstance(last_event_id, int | str) and str(last_event_id).isdigit():
            for frame in self.hub.missed(caller, int(last_event_id)):
                self.send(frame)

    async def handle_text(self, text: str) -> None:
        if len(text.encode()) > self.config.ws_max_message_bytes:
            self.send(_error(f"Message too large (limit {self.config.ws_max_message_bytes} bytes)"))
            return
        try:
            message = json.loads(text)
        except json.JSONDecodeError as exc:
            self.send(_error(f"Invalid message format: {exc.msg}"))
            return
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            self.send(_error("Invalid message format: a JSON object with a 'type' is expected"))
            return
        kind = message["type"]
        if kind == "ping":
            self.send({"type": "pong"})
        elif kind == "auth":
            token = message.get("token")
            if not isinstance(token, str) or not token:
                self.send({"type": "auth_failed", "reason": "Invalid token"})
            else:
                self.authenticate(token, message.get("last_event_id"), from_query=False)
        elif kind == "chat":
            await self.chat(message.get("text"))
        elif kind == "command":
            await self.command(message.get("action"), message.get("params"))
        else:
            self.send(_error(f"Unknown message type: {kind[:50]}"))

    async def chat(self, text: Any) -> None:
        if not isinstance(text, str) or not text.strip():
            self.send(_error("Invalid message format: 'text' must be a non-empty string"))
            return
        if len(text) > self.config.chat_max_chars:
            self.send(_error(f"Message too long (limit {self.config.chat_max_chars} characters)"))
            return
        try:
            reply = await self.assistant.reply(self.connection.caller, text)
        except BackendError:
            self.send({"type": "chat_response", "text": CHAT_ERROR, "from_ai": True})
            return
        frame: dict[str, Any] = {
            "type": "chat_response",
            "text": reply.text,
            "from_ai": True,
            "intent": reply.intent.value,
        }
        self.send(frame)

    async def command(self, action: Any, params: Any) -> None:
        caller = self.connection.caller
        if caller.is_guest:
            self.send(_error("Not authenticated"))
            return
        if not isinstance(action, str):
            self.send(_error("Invalid message format: 'action' must be a string"))
            return
        client = self.backend.as_user(caller.token)
        try:
            data = await self._run(client, caller, action, params)
        except BackendUnavailable as exc:
            self.send(_error(f"Backend unavailable: {exc.message}"))
            return
        except BackendError as exc:
            self.send({"type": "command_response", "action": action, "success": False,
                       "data": None, "error": exc.message})  # fmt: skip
            return
        if data is not None:
            self.send({"type": "command_response", "action": action, "data": data, "success": True})

    async def _run(self, client: BackendClient, caller: Caller, action: str, params: Any) -> Any:
        if action == "get_menu":
            products = await client.products.get_products(max_age=1.0)
            return [p.to_json() for p in products]
        if action == "get_orders":
            orders = await (
                client.orders.get_all_orders_admin()
                if caller.is_staff
                else client.orders.get_orders()
            )
            return [o.to_json() for o in orders]
        if action == "create_order":
            try:
                order = NewOrder.model_validate(params)
            except ValidationError:
                self.send(_error("Отсутствуют параметры заказа"))
                return None
            created = await client.orders.create_order(order)
            return created.to_json()
        if action == "order_status":
            order_id = (
                params.get("orderId") or params.get("order_id")
                if isinstance(params, dict)
                else None
            )
            if not isinstance(order_id, str) or not order_id:
                self.send(_error("order_status needs params.orderId"))
                return None
            found = await client.orders.get_order(order_id)
            return {"orderId": found.id, "status": found.status, "order": found.to_json()}
        self.send(_error(f"Unknown command: {action[:50]}"))
        return None


@router.websocket("/ws")
async def websocket_endpoint(
    websocket: WebSocket,
    token: str | None = Query(default=None, max_length=4096),
    last_event_id: str | None = Query(default=None, max_length=20),
) -> None:
    await websocket.accept()
    hub: Hub = websocket.app.state.hub
    connection = hub.connect(websocket)
    session = Session(websocket, connection)
    sender = asyncio.create_task(connection.run_sender())
    try:
        if token:
            session.authenticate(token, last_event_id, from_query=True)
        while not connection.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            if not session.bucket.allow():
                session.dropped += 1
                if session.dropped > MAX_DROPPED:
                    await websocket.close(code=1008, reason="flooding")
                    break
                if session.dropped == 1 or session.dropped % 50 == 0:
                    session.send(_error("Too many messages; slow down"))
                continue
            text = message.get("text")
            if text is None:
                session.send(_error("Invalid message format: text frames with JSON expected"))
                continue
            await session.handle_text(text)
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(connection)
        await _drain_and_stop(connection, sender)


async def _drain_and_stop(connection: Connection, sender: asyncio.Task[None]) -> None:
    # Give queued frames (the last answer) a moment to go out before the task is dropped.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(connection.queue.join(), 0.2)
    sender.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await sender


@router.websocket("/api/v1/admin/ws")
async def admin_orders_socket(
    websocket: WebSocket, token: str | None = Query(default=None, max_length=4096)
) -> None:
    """The original web front end's admin order feed (admin JWT in ``?token=`` or Bearer)."""
    header = websocket.headers.get("authorization", "")
    token = token or (header[7:] if header.lower().startswith("bearer ") else None)
    try:
        caller = caller_from_token(websocket.app.state.tokens, token or "")
    except TokenRefused:
        await websocket.close(code=1008)  # before accept: the client sees HTTP 403
        return
    if not caller.is_staff:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    hub: Hub = websocket.app.state.hub
    connection = hub.connect(websocket, admin_socket=True)
    connection.caller = caller
    sender = asyncio.create_task(connection.run_sender())
    connection.push({"type": "connected", "data": {
        "message": "Connected to admin order notifications", "status": "ready"}})  # fmt: skip
    try:
        while not connection.closed:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(connection)
        await _drain_and_stop(connection, sender)
