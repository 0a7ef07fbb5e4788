"""Units: the hub's routing and slow-client handling, memory bounds, the event cursor."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from fodi.gateway.assistant.memory import MemoryStore
from fodi.gateway.client import Event
from fodi.gateway.identity import Caller
from fodi.gateway.notifications import CursorFile
from fodi.gateway.ws.hub import Hub


class FakeSocket:
    """Records what the hub writes (a stand-in for a Starlette WebSocket)."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed_with: int | None = None

    async def send_text(self, text: str) -> None:
        self.sent.append(json.loads(text))

    async def close(self, code: int = 1000) -> None:
        self.closed_with = code


def _event(event_id: int, kind: str, **data: Any) -> Event:
    return Event(id=event_id, type=kind, data=data)


async def test_hub_routes_by_role_and_owner_and_replays() -> None:
    hub = Hub(replay=10, queue_size=10)
    sockets = {name: FakeSocket() for name in ("alice1", "alice2", "bob", "admin", "cook")}
    connections = {name: hub.connect(sock) for name, sock in sockets.items()}  # type: ignore[arg-type]
    callers = {
        "alice1": Caller("alice", "user", "t"),
        "alice2": Caller("alice", "user", "t"),
        "bob": Caller("bob", "user", "t"),
        "admin": Caller("boss", "admin", "t"),
        "cook": Caller("chef", "cook", "t"),
    }
    for name, connection in connections.items():
        hub.identify(connection, callers[name])
    assert hub.publish(_event(1, "order.created", orderId="o1", userId="alice")) == 1
    assert hub.publish(_event(2, "order.status_changed", orderId="o1", userId="alice")) == 2
    assert hub.publish(_event(3, "stock.low", name="Лосось")) == 1
    assert hub.publish(_event(4, "something.else")) == 0
    queued = {name: c.queue.qsize() for name, c in connections.items()}
    assert queued == {"alice1": 1, "alice2": 1, "bob": 0, "admin": 2, "cook": 0}
    missed = hub.missed(callers["alice1"], after=1)
    assert [f["id"] for f in missed] == [2]
    assert [f["event"] for f in hub.missed(callers["admin"], after=0)] == [
        "new_order",
        "low_inventory",
    ]


async def test_slow_client_is_dropped_without_blocking_others() -> None:
    hub = Hub(replay=10, queue_size=2)
    slow_socket, fast_socket = FakeSocket(), FakeSocket()
    slow = hub.connect(slow_socket)  # type: ignore[arg-type]
    fast = hub.connect(fast_socket)  # type: ignore[arg-type]
    hub.identify(slow, Caller("a", "admin", "t"))
    hub.identify(fast, Caller("b", "admin", "t"))
    sender = asyncio.create_task(fast.run_sender())
    for n in range(1, 6):
        hub.publish(_event(n, "order.created", orderId=f"o{n}"))
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    assert slow.closed
    assert len(hub) == 1
    assert slow_socket.closed_with == 1013
    assert [f["data"]["orderId"] for f in fast_socket.sent] == [f"o{n}" for n in range(1, 6)]
    sender.cancel()


def test_memory_is_bounded_and_forgets() -> None:
    store = MemoryStore(max_users=2, ttl=60)
    store.get("a").last_dish = "x"
    store.get("b")
    store.get("c")
    assert len(store) == 2
    assert store.get("a").last_dish is None  # evicted, least recently used
    expiring = MemoryStore(ttl=0.0)
    expiring.get("a").last_dish = "x"
    assert expiring.get("a").last_dish is None


def test_cursor_file_round_trip(tmp_path: Path) -> None:
    cursor = CursorFile(tmp_path / "gateway" / "g.cursor")
    assert cursor.read() is None
    cursor.write(41)
    cursor.write(42)
    assert cursor.read() == 42
    (tmp_path / "gateway" / "g.cursor").write_text("garbage")
    assert cursor.read() is None
