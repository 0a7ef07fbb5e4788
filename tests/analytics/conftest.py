"""Analytics fixtures: committed demo payments, an app with a fixed clock, clients."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from fodi.analytics.app import create_app
from fodi.analytics.config import AnalyticsSettings
from fodi.analytics.demo import demo_rows
from fodi.analytics.service import AnalyticsState
from fodi.analytics.store import PaymentWriter
from fodi.core.db import Database
from fodi.core.settings import Settings
from tests.support import asgi_client, bearer

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
DEMO_ROWS = 1500


async def add_demo(database: Database, rows: int = DEMO_ROWS, seed: int = 3) -> None:
    async with database.session() as session:
        writer = PaymentWriter(session)
        await writer.add(list(demo_rows(rows, seed=seed, end=NOW, days=500)))
        await writer.finish()
        await session.commit()


@pytest.fixture
async def seeded_db(committing_db: Database) -> Database:
    """Committed demo payments (the SQLite analytics connection is a separate read-only one)."""
    await add_demo(committing_db)
    return committing_db


def build_app(settings: Settings, database: Database, **analytics: object) -> FastAPI:
    """The app on ``database`` with a fixed clock (and a generous rate limit unless given)."""
    section = AnalyticsSettings.model_validate({"rate_limit_burst": 10_000, **analytics})
    app = create_app(settings.model_copy(update={"analytics": section}), database=database)
    state: AnalyticsState = app.state.analytics
    state.engine.clock = lambda: NOW
    return app


@pytest.fixture
def app(settings: Settings, seeded_db: Database) -> FastAPI:
    return build_app(settings, seeded_db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, **bearer("alice", "manager")) as http:
        yield http
