"""Nexus test fixtures: an app on the rolled-back database, bots and their tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.nexus.app import create_app
from fodi.nexus.auth.service import issue_token
from fodi.nexus.bots import service as bots
from fodi.nexus.bots.schemas import BotCreate
from tests.support import asgi_client


async def add_bot(database: Database, code: str, name: str | None = None) -> str:
    async with database.session() as session:
        bot = await bots.create(session, BotCreate(code=code, name=name or code.title()))
        await session.commit()
        return bot.id


async def add_token(database: Database, bot_code: str | None = None) -> str:
    async with database.session() as session:
        _, token = await issue_token(session, bot_code=bot_code, admin=bot_code is None)
        await session.commit()
        return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Nexus:
    """The app under test, with an admin and two bots (``reminder``, ``downloader``)."""

    app: FastAPI
    client: httpx.AsyncClient
    admin: dict[str, str]
    reminder: dict[str, str]
    downloader: dict[str, str]
    reminder_id: str
    downloader_id: str

    async def arrive(
        self, telegram_id: int, bot: str = "reminder", **profile: object
    ) -> dict[str, Any]:
        headers = self.reminder if bot == "reminder" else self.downloader
        body = {"telegram_id": telegram_id, "first_name": "Alex", "bot_code": bot, **profile}
        response = await self.client.post("/users/from-telegram", json=body, headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def subscription(self, telegram_id: int, bot: str = "reminder") -> dict[str, Any]:
        arrival = await self.arrive(telegram_id, bot)
        subscription: dict[str, Any] = arrival["subscription"]
        return subscription


@pytest.fixture
def nexus_settings(settings: Settings) -> Settings:
    settings.nexus.dispatch_enabled = False
    return settings


@pytest.fixture
async def nexus(nexus_settings: Settings, db: Database) -> AsyncIterator[Nexus]:
    reminder_id = await add_bot(db, "reminder")
    downloader_id = await add_bot(db, "downloader")
    app = create_app(nexus_settings, database=db)
    async with asgi_client(app) as client:
        yield Nexus(
            app=app,
            client=client,
            admin=auth(await add_token(db)),
            reminder=auth(await add_token(db, "reminder")),
            downloader=auth(await add_token(db, "downloader")),
            reminder_id=reminder_id,
            downloader_id=downloader_id,
        )


@pytest.fixture
async def committed_nexus(
    nexus_settings: Settings, committing_db: Database
) -> AsyncIterator[Nexus]:
    """The same as ``nexus`` with real commits (concurrency, the dispatcher, processes)."""
    reminder_id = await add_bot(committing_db, "reminder")
    downloader_id = await add_bot(committing_db, "downloader")
    app = create_app(nexus_settings, database=committing_db)
    try:
        async with asgi_client(app) as client:
            yield Nexus(
                app=app,
                client=client,
                admin=auth(await add_token(committing_db)),
                reminder=auth(await add_token(committing_db, "reminder")),
                downloader=auth(await add_token(committing_db, "downloader")),
                reminder_id=reminder_id,
                downloader_id=downloader_id,
            )
    finally:
        # No lifespan in-process: close the arrival's own engine (PostgreSQL) here.
        await app.state.nexus_hot_path.dispose()
