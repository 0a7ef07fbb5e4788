"""The gateway service (port 8000): bot API, WebSocket, assistant, and the supervisor it hosts."""

from __future__ import annotations

from fastapi import FastAPI

from fodi.core.app import create_service_app
from fodi.core.db import Database
from fodi.core.settings import Settings, load_settings
from fodi.gateway.control.router import router as control_router
from fodi.gateway.control.router import supervisor_lifespan


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    return create_service_app(
        service="gateway",
        title="FodiFood gateway",
        settings=settings,
        database=database,
        routers=[control_router],
        lifespan_hooks=[supervisor_lifespan],
    )
