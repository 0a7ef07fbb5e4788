"""The app factory every service uses: errors, CORS, request logging, metrics, the database."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import fodi
from fodi.core.db import Database
from fodi.core.errors import install_error_handlers, problem
from fodi.core.logging import log_access
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

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class EdgeRoute:
    """A hot read answered by the edge itself: ``GET`` or ``HEAD`` of exactly ``path``, with no
    query string and no ``Origin`` header, bypassing the framework's routing and middleware.

    For the few endpoints that serve bytes kept in memory (the menu), the framework's
    per-request work costs several times the answer itself. Every other request for the same
    path (a query, a cross-origin caller, another method) goes through the app's own route,
    which must give the same answer; only ``handler`` is skipped by the fast path, never the
    request id, the metrics or the access line.
    """

    path: str
    handler: ASGIApp


class Edge:
    """The platform's edge, one pass per HTTP request in front of the framework: a request id
    (``X-Request-ID``, echoed), CORS, metrics, an access line, and the edge routes.

    One pure-ASGI layer with one ``send`` wrapper, because its cost is paid by every request
    of every service; being outermost, it also stamps and counts the 500 answers of the
    framework's error handler. Only requests that carry an ``Origin`` header go through
    Starlette's CORS middleware (which owns the policy: allowed origins, preflight answers);
    the others cannot be cross-origin, and get just the ``Vary: Origin`` it would have added,
    so a shared cache never serves a same-origin answer to a cross-origin caller.
    """

    def __init__(
        self,
        framework: ASGIApp,
        service: str,
        allow_origins: Sequence[str],
        edge_routes: Mapping[str, EdgeRoute],
    ) -> None:
        self.framework = framework
        self.cors_framework = CORSMiddleware(
            framework,
            allow_origins=allow_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
            allow_headers=CORS_HEADERS,
            expose_headers=EXPOSED_HEADERS,
            max_age=600,
        )
        self.service = service
        self.edge_routes = edge_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given_id, has_origin = _edge_headers(scope)
        request_id = given_id or _next_request_id()
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", request_id.encode()))
                if not has_origin:
                    _add_vary_origin(headers)
                message["headers"] = headers
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            edge = None if has_origin else self._edge_route(scope)
            if edge is None:
                framework = self.cors_framework if has_origin else self.framework
                await framework(scope, receive, send_with_id)
            else:
                try:
                    await edge.handler(scope, receive, send_with_id)
                except Exception:  # what the framework's error handler does for its routes
                    log.exception("unhandled error", path=scope["path"], method="GET")
                    if not status:
                        await problem(500, "Internal server error")(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            record_request(self.service, scope, status or 500, elapsed)
            log_access(
                request_id,
                service=self.service,
                method=scope["method"],
                path=scope["path"],
                status=status or 500,
                ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.reset_contextvars(**tokens)

    def _edge_route(self, scope: Scope) -> EdgeRoute | None:
        edge = self.edge_routes.get(scope["path"])
        if edge is not None and scope["method"] in ("GET", "HEAD") and not scope["query_string"]:
            scope["route"] = edge  # the metrics' route label
            return edge
        return None


class ServiceApp(FastAPI):
    """FastAPI behind the platform's :class:`Edge` (set by :func:`create_service_app`)."""

    edge: Edge

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["app"] = self  # what the framework sets, for edge routes too
            await self.edge(scope, receive, send)
        else:  # lifespan and WebSocket connections
            await super().__call__(scope, receive, send)

    async def framework(self, scope: Scope, receive: Receive, send: Send) -> None:
        """FastAPI's own handling: its middleware, routing and error handlers."""
        await super().__call__(scope, receive, send)


def _edge_headers(scope: Scope) -> tuple[str | None, bool]:
    """The caller's request id (at most 128 characters) and whether it sent ``Origin``."""
    request_id: str | None = None
    has_origin = False
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            request_id = value.decode("latin-1")[:128]
        elif key == b"origin":
            has_origin = True
    return request_id, has_origin


def _add_vary_origin(headers: list[tuple[bytes, bytes]]) -> None:
    """Add ``Origin`` to the response's ``Vary`` (one header, as Starlette's CORS does)."""
    for index, (key, value) in enumerate(headers):
        if key.lower() == b"vary":
            headers[index] = (key, value + b", Origin")
            return
    headers.append((b"vary", b"Origin"))


# Request ids: a random prefix per process and a counter, unique across processes and a
# fraction of uuid4's cost (this runs on every request).
_REQUEST_ID_PREFIX = secrets.token_hex(6)
_request_counter = itertools.count(1)


def _next_request_id() -> str:
    return f"{_REQUEST_ID_PREFIX}{next(_request_counter):010x}"


def add_edge_route(app: FastAPI, route: EdgeRoute) -> None:
    """Serve ``route`` at the edge of an app made by :func:`create_service_app`."""
    edge_routes: dict[str, EdgeRoute] = app.state.edge_routes
    edge_routes[route.path] = route


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
) -> ServiceApp:
    """A FastAPI app wired the platform's way, behind the platform's :class:`Edge`.

    ``app.state`` carries ``settings``, ``db`` (created from the settings unless given, and
    disposed at shutdown when the app created it), ``tokens`` (the JWT codec) and
    ``edge_routes`` (see :func:`add_edge_route`).
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

    app = ServiceApp(
        title=title,
        version=fodi.__version__,
        description=description,
        lifespan=lifespan,
        # The edge does metrics and access lines; FastAPI's built-in OpenTelemetry
        # hooks would otherwise look up the global providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        **fastapi_kwargs,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.tokens = TokenCodec(settings.jwt_secret_value, settings.jwt_ttl_seconds)
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    app.state.edge_routes = {}
    app.edge = Edge(
        app.framework,
        service=service,
        allow_origins=settings.cors_origins,
        edge_routes=app.state.edge_routes,
    )
    return app
