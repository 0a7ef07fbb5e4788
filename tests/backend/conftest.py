"""Fixtures for the backend: the app on the rolled-back database, clients, a small menu."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from fodi.backend.app import create_app
from fodi.core.db import Database
from fodi.core.settings import Settings
from tests.backend.helpers import ADMIN
from tests.support import asgi_client


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, database=db)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as client:
        yield client


@pytest.fixture
async def admin(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app, **ADMIN) as client:
        yield client
