"""The gateway service (port 8000): bot API, WebSocket, assistant, and the supervisor it hosts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from fodi.core.app import create_service_app
from fodi.core.db import Database
from fodi.core.errors import problem
from fodi.core.llm import llm_from_settings
from fodi.core.settings import Settings, load_settings
from fodi.gateway.api import accounts, admin, chat, orders, public
from fodi.gateway.assistant.engine import Assistant
from fodi.gateway.assistant.llm_fallback import LLMFallback
from fodi.gateway.assistant.memory import MemoryStore
from fodi.gateway.client import BackendClient, BackendError, BackendUnavailable
from fodi.gateway.control.router import router as control_router
from fodi.gateway.control.router import supervisor_lifespan
from fodi.gateway.notifications import CursorFile, EventConsumer
from fodi.gateway.ws import router as ws_router
from fodi.gateway.ws.hub import Hub

log = structlog.get_logger(__name__)


def backend_url(settings: Settings) -> str:
    """``GO_BACKEND_URL`` (it includes ``/api``), else the supervised backend's address."""
    if settings.go_backend_url:
        return settings.go_backend_url.rstrip("/")
    return f"http://{settings.backend.host}:{settings.backend.port}/api"


def instance_name(settings: Settings) -> str:
    return settings.gateway.instance_name or f"gateway-{settings.gateway.port}"


def create_app(
    settings: Settings | None = None,
    database: Database | None = None,
    *,
    backend: BackendClient | None = None,
) -> FastAPI:
    """The gateway app; ``backend`` replaces the client built from the settings (tests)."""
    settings = settings or load_settings()
    config = settings.gateway
    app = create_service_app(
        service="gateway",
        title="FodiFood gateway",
        settings=settings,
        database=database,
        routers=[
            control_router,
            public.router,
            accounts.router,
            orders.router,
            admin.router,
            chat.router,
            ws_router.router,
        ],
        lifespan_hooks=[supervisor_lifespan, gateway_lifespan],
        description="The bot-facing API of FodiFood: /api/v1, WebSocket /ws, the assistant.",
    )
    app.state.backend = backend or BackendClient(
        backend_url(settings),
        timeout=config.backend_timeout,
        retries=config.backend_retries,
        backoff=config.backend_retry_backoff,
        max_connections=config.backend_max_connections,
    )
    app.state.hub = Hub(replay=config.events_replay, queue_size=config.ws_send_queue)
    llm = llm_from_settings(settings)
    app.state.llm = llm
    app.state.assistant = Assistant(
        app.state.backend,
        memory=MemoryStore(config.assistant_memory_users, config.assistant_memory_ttl),
        llm=LLMFallback(llm) if llm is not None else None,
    )
    app.state.events = None
    app.router.routes.insert(0, public.fast_menu_route())
    app.add_exception_handler(BackendError, _on_backend_error)
    return app


async def _on_backend_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BackendError)
    if isinstance(exc, BackendUnavailable):
        return problem(503, f"Backend unavailable: {exc.message}", headers={"Retry-After": "1"})
    status = exc.status if exc.status and 400 <= exc.status < 600 else 502
    return problem(status, exc.message)


@asynccontextmanager
async def gateway_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Consumes the backend's event stream while the gateway runs; closes the clients after."""
    settings: Settings = app.state.settings
    consumer: EventConsumer | None = None
    if settings.gateway.events_enabled:
        cursor = CursorFile(settings.var_dir / "gateway" / f"{instance_name(settings)}.cursor")
        consumer = EventConsumer(
            app.state.backend,
            app.state.hub,
            cursor,
            app.state.tokens,
            replay=settings.gateway.events_replay,
            reconnect_max=settings.gateway.events_reconnect_max,
        )
        consumer.start()
        app.state.events = consumer
    try:
        yield
    finally:
        if consumer is not None:
            await consumer.stop()
        await app.state.backend.aclose()
        if app.state.llm is not None:
            await app.state.llm.aclose()
