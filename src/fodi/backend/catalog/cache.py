"""The public menu, serialized once and reused: ``GET /api/products`` is the hottest read.

This process's writes invalidate it at once; a short lifetime bounds how long a change made
by another worker process stays unseen. Two rules keep the cache cheap under load:

- one build at a time (single flight): callers that find no menu wait for the build that is
  already running instead of each starting their own;
- stale while revalidating: when the lifetime ends, the first caller starts a refresh in the
  background and every caller keeps getting the previous menu until it lands, so an expiry
  never stalls requests or multiplies database reads. A refresh that fails (the database is
  down) keeps the previous menu for another lifetime and is logged.

After an invalidation there is no previous menu to serve: the next callers wait for the
fresh one, so a process always reads its own writes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

Build = Callable[[], Awaitable[bytes]]


class MenuCache:
    def __init__(self, ttl_seconds: float = 2.0) -> None:
        self._ttl = ttl_seconds
        self._body: bytes | None = None
        self._expires = 0.0
        self._generation = 0
        self._build: asyncio.Task[bytes] | None = None
        self._running: set[asyncio.Task[bytes]] = set()

    def invalidate(self) -> None:
        self._body = None
        self._generation += 1
        self._build = None  # a build that started before the write must not be shared

    async def get(self, build: Build) -> bytes:
        body = self._body
        if body is not None:
            if time.monotonic() >= self._expires and self._build is None:
                self._start(build).add_done_callback(self._refresh_done)
            return body
        task = self._build or self._start(build)
        return await asyncio.shield(task)

    def _start(self, build: Build) -> asyncio.Task[bytes]:
        generation = self._generation

        async def run() -> bytes:
            body = await build()
            if generation == self._generation:  # no write happened while we were building
                self._body, self._expires = body, time.monotonic() + self._ttl
            return body

        task = asyncio.create_task(run())
        self._build = task
        self._running.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._build_done)
        return task

    def _build_done(self, task: asyncio.Task[bytes]) -> None:
        self._running.discard(task)
        if self._build is task:
            self._build = None

    def _refresh_done(self, task: asyncio.Task[bytes]) -> None:
        """A background refresh: on failure keep serving the previous menu for a while."""
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self._expires = time.monotonic() + self._ttl
            log.warning("menu refresh failed; serving the previous menu", error=repr(error))
