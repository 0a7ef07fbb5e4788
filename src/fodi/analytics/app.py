"""The analytics service's app: payment questions in plain language, answered with guarded SQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from fodi.analytics.engine import AnalyticsEngine
from fodi.analytics.router import health_router, router
from fodi.analytics.service import make_state
from fodi.core.app import create_service_app
from fodi.core.db import Database
from fodi.core.llm import llm_from_settings
from fodi.core.settings import Settings, load_settings


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or load_settings()
    app = create_service_app(
        lifespan_hooks=[_close_llm],
        service="analytics",
        title="FodiFood analytics",
        description="Questions about payments in plain language, answered with guarded SQL.",
        settings=settings,
        routers=[router, health_router],
        database=database,
    )
    db: Database = app.state.db
    engine = AnalyticsEngine(db, settings.analytics, llm=llm_from_settings(settings))
    app.state.analytics = make_state(engine, settings.analytics)
    return app


@asynccontextmanager
async def _close_llm(app: FastAPI) -> AsyncIterator[None]:
    yield
    llm = app.state.analytics.engine.llm
    if llm is not None:
        await llm.aclose()
