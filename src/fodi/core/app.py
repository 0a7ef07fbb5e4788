"""The app factory every service uses: errors, CORS, request logging, metrics, the database."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import fodi
from fodi.core.db import Database
from fodi.core.errors import install_error_handlers
from fodi.core.metrics import metrics_endpoint, record_request
from fodi.core.security import TokenCodec
from fodi.core.settings import Settings

LifespanHook = Callable[[FastAPI], AbstractAsyncContextManager[None]]

CORS_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-API-Key",
    "X-User-ID",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "Last-Event-ID",
    "X-Request-ID",
]
EXPOSED_HEADERS = [
    "ETag",
    "X-Total-Count",
    "Link",
    "X-Request-ID",
    "Retry-After",
    "Location",
    "Idempotent-Replayed",
]

access_log = structlog.get_logger("fodi.access")


class ObservabilityMiddleware:
    """One pass per request: a request id (``X-Request-ID``, echoed), metrics, an access line.

    One pure-ASGI layer rather than three keeps the per-request cost small (it is paid by
    every request of every service).
    """

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _header(scope, b"x-request-id") or _next_request_id()
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            record_request(self.service, scope, status, elapsed)
            access_log.info(
                "request",
                service=self.service,
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.reset_contextvars(**tokens)


# Request ids: a random prefix per process and a counter, unique across processes and a
# fraction of uuid4's cost (this runs on every request).
_REQUEST_ID_PREFIX = secrets.token_hex(6)
_request_counter = itertools.count(1)


def _next_request_id() -> str:
    return f"{_REQUEST_ID_PREFIX}{next(_request_counter):010x}"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            decoded: str = value.decode("latin-1")[:128]
            return decoded
    return None


def create_service_app(
    *,
    service: str,
    title: str,
    settings: Settings,
    routers: Sequence[APIRouter],
    database: Database | None = None,
    lifespan_hooks: Sequence[LifespanHook] = (),
    description: str = "",
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app wired the platform's way.

    ``app.state`` carries ``settings``, ``db`` (created from the settings unless given, and
    disposed at shutdown when the app created it) and ``tokens`` (the JWT codec).
    ``lifespan_hooks`` are async context managers entered at start-up, in order.
    """
    owns_database = database is None
    db = database or Database.from_url(settings.effective_database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for hook in lifespan_hooks:
                await stack.enter_async_context(hook(app))
            yield
        if owns_database:
            await db.dispose()

    app = FastAPI(
        title=title,
        version=fodi.__version__,
        description=description,
        lifespan=lifespan,
        **fastapi_kwargs,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.tokens = TokenCodec(settings.jwt_secret_value, settings.jwt_ttl_seconds)
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=CORS_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
    app.add_middleware(ObservabilityMiddleware, service=service)
    return app
