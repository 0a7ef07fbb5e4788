"""The public menu, serialized once and reused: ``GET /api/products`` is the hottest read.

This process's writes invalidate it at once; a short lifetime bounds how long a change made
by another worker process stays unseen.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable


class MenuCache:
    def __init__(self, ttl_seconds: float = 2.0) -> None:
        self._ttl = ttl_seconds
        self._body: bytes | None = None
        self._expires = 0.0
        self._generation = 0

    def invalidate(self) -> None:
        self._body = None
        self._generation += 1

    async def get(self, build: Callable[[], Awaitable[bytes]]) -> bytes:
        now = time.monotonic()
        if self._body is not None and now < self._expires:
            return self._body
        generation = self._generation
        body = await build()
        if generation == self._generation:  # no write happened while we were building
            self._body, self._expires = body, now + self._ttl
        return body
