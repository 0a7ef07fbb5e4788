"""The nexus app: the registry and coordinator of an ecosystem of Telegram bots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse

from fodi.core.app import create_service_app
from fodi.core.db import Database
from fodi.core.settings import Settings, load_settings
from fodi.core.signals import Signal
from fodi.nexus.arrival import HotPath
from fodi.nexus.bots.router import router as bots_router
from fodi.nexus.dispatcher import running_workers
from fodi.nexus.events.router import router as events_router
from fodi.nexus.http import BodyLimitMiddleware
from fodi.nexus.subscriptions.router import router as subscriptions_router
from fodi.nexus.users.router import router as users_router
from fodi.nexus.workflows.router import router as workflows_router

health_router = APIRouter(tags=["health"])


@health_router.get("/health", response_class=PlainTextResponse)
async def health() -> str:
    """The seed's health check: 200 ``ok`` (public)."""
    return "ok"


@asynccontextmanager
async def dispatcher_hook(app: FastAPI) -> AsyncIterator[None]:
    """Run the dispatcher's workers inside the app unless disabled (0 workers)."""
    settings: Settings = app.state.settings
    config = settings.nexus
    if not config.dispatch_enabled or config.dispatch_workers == 0:
        yield
        return
    async with running_workers(
        app.state.db,
        config,
        production=settings.is_production,
        workers=config.dispatch_workers,
        signal=app.state.nexus_signal,
    ):
        yield


@asynccontextmanager
async def hot_path_hook(app: FastAPI) -> AsyncIterator[None]:
    """Close the arrival's autocommit engine (fodi.nexus.arrival) at shutdown."""
    try:
        yield
    finally:
        await app.state.nexus_hot_path.dispose()


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = create_service_app(
        service="nexus",
        title="FodiFood Bot Nexus",
        description="Users, bots, subscriptions with versioned settings/state, workflows and "
        "scheduled events delivered to bots by webhook or long polling.",
        settings=settings,
        database=database,
        routers=[
            health_router,
            users_router,
            bots_router,
            subscriptions_router,
            workflows_router,
            events_router,
        ],
        lifespan_hooks=[hot_path_hook, dispatcher_hook],
    )
    app.state.nexus_signal = Signal()
    app.state.nexus_hot_path = HotPath(app.state.db)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.nexus.max_body_bytes)
    return app
