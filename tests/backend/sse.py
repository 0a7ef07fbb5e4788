"""Read a Server-Sent Events response straight from the ASGI app (httpx's in-process
transport waits for a response to end, and an event stream does not)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from starlette.types import Message


@dataclass
class EventStream:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    raw: str = ""
    _chunks: asyncio.Queue[str] = field(default_factory=asyncio.Queue)

    async def messages(self, count: int, timeout: float = 5.0) -> list[dict[str, str]]:
        """The next ``count`` messages with an id (pings and comments are skipped)."""
        found: list[dict[str, str]] = []
        async with asyncio.timeout(timeout):
            while len(found) < count:
                while "\r\n\r\n" not in self.raw and "\n\n" not in self.raw:
                    self.raw += await self._chunks.get()
                separator = "\r\n\r\n" if "\r\n\r\n" in self.raw else "\n\n"
                block, self.raw = self.raw.split(separator, 1)
                fields: dict[str, str] = {}
                for line in block.splitlines():
                    if line.startswith(":"):
                        continue
                    key, _, value = line.partition(":")
                    fields[key] = value[1:] if value.startswith(" ") else value
                if "id" in fields:
                    found.append(fields)
        return found


def payload(message: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(message["data"])
    return data


@contextlib.asynccontextmanager
async def open_stream(
    app: FastAPI, path: str, headers: dict[str, str], query: str = ""
) -> AsyncIterator[EventStream]:
    stream = EventStream()
    disconnect = asyncio.Event()
    started = asyncio.Event()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }

    async def receive() -> Message:
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            stream.status = message["status"]
            stream.headers = {k.decode(): v.decode() for k, v in message["headers"]}
            started.set()
        elif message["type"] == "http.response.body":
            stream._chunks.put_nowait(message.get("body", b"").decode())

    task = asyncio.create_task(app(scope, receive, send))
    try:
        async with asyncio.timeout(5):
            await started.wait()
        yield stream
    finally:
        disconnect.set()
        try:
            async with asyncio.timeout(5):
                await task
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
