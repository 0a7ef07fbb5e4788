"""A real local webhook receiver (uvicorn on 127.0.0.1) recording what the dispatcher sends."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import uvicorn
from bench.common import free_port
from starlette.types import Receive, Scope, Send

Behaviour = Callable[[str, int], Awaitable[int]]  # (path, request number) -> status


async def answer_ok(_path: str, _n: int) -> int:
    return 200


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    behaviour: Behaviour = answer_ok
    received: list[Received] = field(default_factory=list)
    port: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        number = len(self.received)
        self.received.append(Received(scope["path"], headers, body, time.monotonic()))
        self.arrived.set()
        status = await self.behaviour(scope["path"], number)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def wait_for(self, count: int, timeout: float = 10) -> None:
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@contextlib.asynccontextmanager
async def running_receiver(behaviour: Behaviour = answer_ok) -> AsyncIterator[Receiver]:
    receiver = Receiver(behaviour=behaviour, port=free_port())
    config = uvicorn.Config(
        receiver,
        host="127.0.0.1",
        port=receiver.port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
