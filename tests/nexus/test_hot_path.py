"""The from-telegram hot path: the token cache, and the one-statement arrival on PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, update

from fodi.core.db import Database, utcnow
from fodi.core.settings import Settings
from fodi.nexus.app import create_app
from fodi.nexus.arrival import HotPath, arrival_parameters
from fodi.nexus.auth.models import ServiceToken
from fodi.nexus.auth.service import Caller, CallerCache
from fodi.nexus.users.schemas import FromTelegram
from tests.nexus.conftest import Nexus, add_token, auth
from tests.support import asgi_client


def test_caller_cache_expires_and_clears() -> None:
    cache = CallerCache()
    caller = Caller(token_id="t", is_admin=True)
    cache.put("digest", caller)
    assert cache.get("digest", ttl=60) is caller
    assert cache.get("digest", ttl=0) is None  # expired entries are dropped
    assert cache.get("digest", ttl=60) is None
    cache.put("digest", caller)
    cache.clear()
    assert cache.get("digest", ttl=60) is None


async def test_a_token_revoked_elsewhere_is_refused_within_the_cache_time(
    nexus_settings: Settings, db: Database
) -> None:
    nexus_settings.nexus.token_cache_seconds = 0.3
    app = create_app(nexus_settings, database=db)
    token = await add_token(db)
    async with asgi_client(app) as client:
        assert (await client.get("/bots", headers=auth(token))).status_code == 200
        # Revoked by another process (no in-process notice): the cache trusts it briefly...
        async with db.session() as session:
            await session.execute(update(ServiceToken).values(revoked_at=utcnow()))
            await session.commit()
        assert (await client.get("/bots", headers=auth(token))).status_code == 200
        # ...and not after token_cache_seconds.
        await asyncio.sleep(0.35)
        assert (await client.get("/bots", headers=auth(token))).status_code == 401


async def test_without_the_cache_revocation_is_immediate(
    nexus_settings: Settings, db: Database
) -> None:
    nexus_settings.nexus.token_cache_seconds = 0
    app = create_app(nexus_settings, database=db)
    token = await add_token(db)
    async with asgi_client(app) as client:
        assert (await client.get("/bots", headers=auth(token))).status_code == 200
        async with db.session() as session:
            await session.execute(update(ServiceToken).values(revoked_at=utcnow()))
            await session.commit()
        assert (await client.get("/bots", headers=auth(token))).status_code == 401


async def test_deleting_a_bot_drops_its_cached_token_at_once(nexus: Nexus) -> None:
    assert (await nexus.client.get("/bots", headers=nexus.downloader)).status_code == 200
    deleted = await nexus.client.delete("/bots/downloader", headers=nexus.admin)
    assert deleted.status_code == 204
    assert (await nexus.client.get("/bots", headers=nexus.downloader)).status_code == 401


def test_parameters_keep_absent_profile_fields_out_of_the_update() -> None:
    body = FromTelegram.model_validate({"telegram_id": 5, "bot_code": "b", "first_name": None})
    present, parameters = arrival_parameters(body)
    assert present == {"first_name"}
    assert parameters["first_name"] == ""  # required column; null clears it to ""
    assert parameters["telegram_id"] == 5
    assert parameters["bot_code"] == "b"


async def test_from_telegram_same_answers_on_every_path(nexus: Nexus) -> None:
    """Profile semantics through whichever path the engine uses (SQLite: two statements;
    PostgreSQL here: the one statement inside the test's transaction)."""
    first = await nexus.arrive(901, username="ann", last_name="Lee", language_code="en")
    assert first["user_created"]
    assert first["subscription_created"]
    again = await nexus.arrive(901, username=None)  # absent fields kept, null clears
    assert not again["user_created"]
    assert not again["subscription_created"]
    assert again["user"] == {**first["user"], "username": None}
    assert again["subscription"]["id"] == first["subscription"]["id"]
    assert again["subscription"]["bot_code"] == "reminder"
    assert again["subscription"]["last_interaction_at"] > first["subscription"]["installed_at"]
    by_admin = await nexus.client.post(
        "/users/from-telegram",
        json={"telegram_id": 901, "bot_code": "downloader"},
        headers=nexus.admin,
    )
    assert by_admin.status_code == 200
    assert by_admin.json()["user"]["first_name"] == "Alex"
    assert by_admin.json()["subscription_created"] is True


@pytest.mark.postgres
async def test_hot_path_is_one_statement_and_writes_nothing_for_an_inactive_bot(
    committed_nexus: Nexus,
) -> None:
    nexus = committed_nexus
    hot: HotPath = nexus.app.state.nexus_hot_path
    assert hot.usable
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = hot.engine().sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        arrival = await nexus.arrive(4242, username="hot")
        assert arrival["user_created"]
        assert arrival["subscription_created"]
        again = await nexus.arrive(4242)
        assert not again["user_created"]
        assert again["user"]["username"] == "hot"
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 2  # one statement per arrival, no BEGIN/COMMIT

    await nexus.client.patch("/bots/downloader", json={"is_active": False}, headers=nexus.admin)
    body = {"telegram_id": 4343, "first_name": "X", "bot_code": "downloader"}
    refused = await nexus.client.post("/users/from-telegram", json=body, headers=nexus.admin)
    assert refused.status_code == 404
    assert (
        await nexus.client.get("/users/by-telegram/4343", headers=nexus.admin)
    ).status_code == 404
