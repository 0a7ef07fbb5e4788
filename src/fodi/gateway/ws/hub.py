"""Who is connected, and who hears which notification.

Each socket has a bounded outbox drained by its own sender task, so one slow client never
delays the others (a client whose outbox overflows is disconnected; it resumes from its last
event id).  A person may have several sockets (phone and laptop); the original kept one per
user and silently dropped the rest.  The hub also keeps the most recent events so that a
client reconnecting with ``last_event_id`` gets what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.websockets import WebSocket

from fodi.gateway.client import Event
from fodi.gateway.identity import Caller, guest

log = structlog.get_logger(__name__)

# The backend's event types, and the notification names the original's clients know.
NOTIFICATION_NAMES = {
    "order.created": "new_order",
    "order.status_changed": "order_status_changed",
    "stock.low": "low_inventory",
}
STAFF_EVENTS = frozenset({"order.created", "stock.low"})


@dataclass(eq=False)
class Connection:
    websocket: WebSocket
    caller: Caller
    queue: asyncio.Queue[str]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    closed: bool = False

    def push(self, frame: dict[str, Any] | str) -> bool:
        """Queue a frame (a dict, or one already serialized); False when the client is too slow."""
        if self.closed:
            return False
        text = frame if isinstance(frame, str) else _dumps(frame)
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True

    async def run_sender(self) -> None:
        """Write queued frames to the socket until it closes."""
        try:
            while True:
                text = await self.queue.get()
                await self.websocket.send_text(text)
                self.queue.task_done()
        except Exception:  # the socket is gone: nothing left to write to
            self.closed = True


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, default=str)


def notification_frame(event: Event) -> dict[str, Any] | None:
    name = NOTIFICATION_NAMES.get(event.type)
    if name is None:
        return None
    return {"type": "notification", "event": name, "data": event.data, "id": event.id}


def interested(caller: Caller, event_type: str, data: dict[str, Any]) -> bool:
    """Staff hear new orders and low stock; a customer hears about their own orders."""
    if event_type in STAFF_EVENTS:
        return caller.is_staff
    if event_type == "order.status_changed":
        owner = data.get("userId")
        return bool(owner) and not caller.is_guest and owner == caller.user_id
    return False


def admin_socket_frame(event: Event) -> dict[str, Any] | None:
    """The original web front end's admin order socket frames."""
    data = event.data
    if event.type == "order.created":
        keys = ("orderId", "total", "status", "name", "phone", "address", "itemsCount")
        payload = {key: data.get(key) for key in keys}
        payload["createdAt"] = data.get("createdAt") or event.created_at
        return {"type": "new_order", "data": payload}
    if event.type == "order.status_changed":
        updated = data.get("updatedAt") or event.created_at
        return {
            "type": "order_updated",
            "data": {
                "orderId": data.get("orderId"),
                "status": data.get("status"),
                "updatedAt": updated,
            },
        }
    return None


class Hub:
    def __init__(self, *, replay: int = 1000, queue_size: int = 256) -> None:
        self._connections: dict[str, Connection] = {}
        self._by_user: dict[str, set[Connection]] = {}
        self._admin_sockets: set[Connection] = set()
        self._recent: deque[Event] = deque(maxlen=max(replay, 1))
        self._queue_size = queue_size
        self._closing: set[asyncio.Task[None]] = set()
        self.last_event_id: int | None = None

    # --- connections ----------------------------------------------------------------------

    def connect(self, websocket: WebSocket, *, admin_socket: bool = False) -> Connection:
        connection = Connection(websocket, guest("pending"), asyncio.Queue(self._queue_size))
        connection.caller = guest(connection.id)
        self._connections[connection.id] = connection
        if admin_socket:
            self._admin_sockets.add(connection)
        return connection

    def identify(self, connection: Connection, caller: Caller) -> None:
        self._forget_user(connection)
        connection.caller = caller
        self._by_user.setdefault(caller.user_id, set()).add(connection)

    def disconnect(self, connection: Connection) -> None:
        connection.closed = True
        self._connections.pop(connection.id, None)
        self._admin_sockets.discard(connection)
        self._forget_user(connection)

    def _forget_user(self, connection: Connection) -> None:
        sockets = self._by_user.get(connection.caller.user_id)
        if sockets is not None:
            sockets.discard(connection)
            if not sockets:
                del self._by_user[connection.caller.user_id]

    def __len__(self) -> int:
        return len(self._connections)

    def staff(self) -> Iterable[Connection]:
        return [
            c
            for c in self._connections.values()
            if c.caller.is_staff and c not in self._admin_sockets
        ]

    def of_user(self, user_id: str) -> Iterable[Connection]:
        return [c for c in self._by_user.get(user_id, ()) if c not in self._admin_sockets]

    # --- delivery -------------------------------------------------------------------------

    def remember(self, event: Event) -> None:
        """Keep an event for reconnecting clients without pushing it (already delivered)."""
        self._recent.append(event)
        self.last_event_id = max(event.id, self.last_event_id or 0)

    def publish(self, event: Event) -> int:
        """Push an event to everyone interested; the number of sockets it was queued for."""
        self.remember(event)
        frame = notification_frame(event)
        delivered = 0
        if frame is not None:
            targets: Iterable[Connection]
            if event.type in STAFF_EVENTS:
                targets = self.staff()
            else:
                targets = self.of_user(str(event.data.get("userId") or ""))
            text = _dumps(frame)  # serialized once for every socket
            for connection in targets:
                delivered += self._push(connection, text)
        admin_frame = admin_socket_frame(event)
        if admin_frame is not None:
            admin_text = _dumps(admin_frame)
            for connection in list(self._admin_sockets):
                self._push(connection, admin_text)
        return delivered

    def send_to(self, targets: Iterable[Connection], frame: dict[str, Any]) -> int:
        text = _dumps(frame)
        return sum(self._push(connection, text) for connection in targets)

    def _push(self, connection: Connection, frame: dict[str, Any] | str) -> int:
        if connection.push(frame):
            return 1
        log.warning("dropping a slow websocket client", connection=connection.id)
        self.disconnect(connection)
        with contextlib.suppress(Exception):
            # Keep a reference until it is done: the loop holds tasks only weakly.
            closing = asyncio.get_running_loop().create_task(connection.websocket.close(code=1013))
            self._closing.add(closing)
            closing.add_done_callback(self._closing.discard)
        return 0

    def missed(self, caller: Caller, after: int) -> list[dict[str, Any]]:
        """The notifications ``caller`` would have had after event ``after``."""
        frames = []
        for event in self._recent:
            if event.id > after and interested(caller, event.type, event.data):
                frame = notification_frame(event)
                if frame is not None:
                    frames.append(frame)
        return frames
