"""Fixtures: the real backend app in-process (demo data loaded), its client, the gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fodi.backend.app import create_app as create_backend
from fodi.backend.cli import load_demo
from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.gateway.app import create_app as create_gateway
from fodi.gateway.client import BackendClient
from tests.support import asgi_client

BACKEND_URL = "http://backend.test/api"


def gateway_settings(settings: Settings, **gateway: Any) -> Settings:
    section = settings.gateway.model_copy(update={"events_enabled": False, **gateway})
    return settings.model_copy(update={"gateway": section, "orchestrator_enabled": False})


@pytest.fixture
async def demo_db(db: Database, settings: Settings) -> Database:
    async with db.session() as session:
        await load_demo(session, settings)
        await session.commit()
    return db


@pytest.fixture
def backend_app(settings: Settings, demo_db: Database) -> FastAPI:
    return create_backend(settings, database=demo_db)


@pytest.fixture
async def backend(backend_app: FastAPI) -> AsyncIterator[BackendClient]:
    transport = httpx.ASGITransport(app=backend_app)
    async with BackendClient(BACKEND_URL, transport=transport, backoff=0.01) as client:
        yield client


@pytest.fixture
def gateway_app(settings: Settings, demo_db: Database, backend: BackendClient) -> FastAPI:
    return create_gateway(gateway_settings(settings), database=demo_db, backend=backend)


@pytest.fixture
async def gw(gateway_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(gateway_app) as client:
        yield client


@pytest.fixture
async def admin_token(backend: BackendClient, settings: Settings) -> str:
    session = await backend.auth.login(
        settings.backend.demo_admin_email, settings.backend.demo_admin_password
    )
    return session.token
