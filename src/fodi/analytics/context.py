"""Conversation memory: each user's last questions and each chat session (in-process, 24 h)."""

from __future__ import annotations

import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from fodi.analytics.structured import StructuredQuery

TTL_SECONDS = 24 * 3600
MAX_HISTORY = 10
MAX_CONTEXTS = 50_000


@dataclass(slots=True)
class Context:
    owner: str
    last_query: StructuredQuery | None = None
    history: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=MAX_HISTORY))
    messages: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=MAX_HISTORY))
    touched: float = field(default_factory=time.monotonic)


class ContextStore:
    """Per-user query context (for follow-ups) and per-session chats, both owned by a user."""

    def __init__(self) -> None:
        self._items: dict[str, Context] = {}

    def _get(self, key: str, owner: str) -> Context:
        now = time.monotonic()
        context = self._items.get(key)
        if context is None or now - context.touched > TTL_SECONDS or context.owner != owner:
            if len(self._items) >= MAX_CONTEXTS:
                self._expire(now)
            context = self._items[key] = Context(owner)
        context.touched = now
        return context

    def for_user(self, user_id: str) -> Context:
        return self._get(f"user:{user_id}", user_id)

    def for_session(self, user_id: str, session_id: str | None) -> tuple[str, Context]:
        session = session_id or str(uuid.uuid4())
        return session, self._get(f"session:{user_id}:{session}", user_id)

    def clear(self, user_id: str) -> int:
        keys = [k for k, c in self._items.items() if c.owner == user_id]
        for key in keys:
            del self._items[key]
        return len(keys)

    def _expire(self, now: float) -> None:
        for key in [k for k, c in self._items.items() if now - c.touched > TTL_SECONDS]:
            del self._items[key]
        if len(self._items) >= MAX_CONTEXTS:
            self._items.clear()
