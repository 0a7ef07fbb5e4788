"""Helpers for the gateway's tests: real servers on loopback, in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any, Literal

import uvicorn
import websockets
from starlette.types import ASGIApp


def bound_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.asynccontextmanager
async def serve(
    app: ASGIApp, *, port: int = 0, lifespan: Literal["on", "off"] = "on"
) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (in this loop); yields its base URL."""
    sock = bound_socket(port)
    config = uvicorn.Config(
        app, lifespan=lifespan, log_config=None, access_log=False, ws_max_size=4 * 1024 * 1024
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, 10)
        sock.close()


class WsClient:
    """A JSON WebSocket client with a receive timeout (tests must never hang)."""

    def __init__(self, connection: websockets.ClientConnection) -> None:
        self.connection = connection

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.connection.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.connection.recv(), timeout)
        data: dict[str, Any] = json.loads(raw)
        return data

    async def receive_type(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame of type ``kind`` (others are skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            frame = await self.receive(max(left, 0.01))
            if frame.get("type") == kind:
                return frame

    async def nothing(self, within: float = 0.3) -> bool:
        try:
            await asyncio.wait_for(self.connection.recv(), within)
        except TimeoutError:
            return True
        return False


@contextlib.asynccontextmanager
async def ws(url: str, **kwargs: Any) -> AsyncIterator[WsClient]:
    async with websockets.connect(url, max_size=8 * 1024 * 1024, **kwargs) as connection:
        yield WsClient(connection)


def ws_url(base: str, path: str = "/ws") -> str:
    return base.replace("http://", "ws://") + path
