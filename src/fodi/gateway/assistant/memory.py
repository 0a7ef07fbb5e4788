"""A short memory per user: the last intent and dish, a pending order, the last order placed.

Bounded (least recently used users are forgotten first) and short-lived (a TTL), because it
only has to carry a conversation across a few messages ("and two of those", "cancel it").
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from fodi.gateway.assistant.intents import Intent


@dataclass(slots=True)
class PendingLine:
    product_id: str
    name: str
    quantity: int
    price_minor: int  # the live menu's price, in kopecks, at the time it was proposed


@dataclass(slots=True)
class Memory:
    last_intent: Intent | None = None
    last_dish: str | None = None  # product id
    pending: list[PendingLine] = field(default_factory=list)
    phone: str | None = None
    address: str | None = None
    last_order_id: str | None = None
    touched: float = field(default_factory=time.monotonic)

    @property
    def pending_total_minor(self) -> int:
        return sum(line.price_minor * line.quantity for line in self.pending)


class MemoryStore:
    def __init__(self, max_users: int = 10_000, ttl: float = 1800.0) -> None:
        self._max = max_users
        self._ttl = ttl
        self._items: OrderedDict[str, Memory] = OrderedDict()

    def get(self, user_id: str) -> Memory:
        now = time.monotonic()
        memory = self._items.get(user_id)
        if memory is None or now - memory.touched > self._ttl:
            memory = Memory()
        memory.touched = now
        self._items[user_id] = memory
        self._items.move_to_end(user_id)
        while len(self._items) > self._max:
            self._items.popitem(last=False)
        return memory

    def __len__(self) -> int:
        return len(self._items)
