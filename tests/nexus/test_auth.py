"""Service tokens: 401 problems, revocation, and each bot reaching only its own data."""

from __future__ import annotations

from pathlib import Path

import pytest

from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.nexus.app import create_app
from fodi.nexus.auth.service import revoke_tokens
from tests.nexus.conftest import Nexus, add_bot, add_token, auth
from tests.support import asgi_client

PROTECTED = [
    ("GET", "/bots"),
    ("GET", "/users"),
    ("POST", "/users/from-telegram"),
    ("GET", "/subscriptions"),
    ("GET", "/events"),
    ("GET", "/workflows"),
    ("GET", "/bots/reminder/events"),
]


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Basic abc", "Bearer wrong-token", "Bearer dev-service-token"],
)
async def test_missing_or_wrong_tokens_get_a_401_problem(
    nexus: Nexus, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in PROTECTED:
        response = await nexus.client.request(method, path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 401


async def test_revoked_token_stops_working(nexus: Nexus, db: Database) -> None:
    token = await add_token(db, "reminder")
    assert (await nexus.client.get("/bots", headers=auth(token))).status_code == 200
    async with db.session() as session:
        assert await revoke_tokens(session, token=token) == 1
        await session.commit()
    assert (await nexus.client.get("/bots", headers=auth(token))).status_code == 401
    assert (await nexus.client.get("/bots", headers=nexus.reminder)).status_code == 200


async def test_a_bot_reaches_only_its_own_subscriptions(nexus: Nexus) -> None:
    client = nexus.client
    mine = await nexus.subscription(21, "reminder")
    theirs = await nexus.subscription(21, "downloader")
    await nexus.subscription(22, "downloader")

    listed = await client.get("/subscriptions", headers=nexus.reminder)
    assert [s["id"] for s in listed.json()] == [mine["id"]]
    assert (
        await client.get(f"/subscriptions/{theirs['id']}", headers=nexus.reminder)
    ).status_code == 404
    for method in ("PATCH", "PUT"):
        response = await client.request(
            method, f"/subscriptions/{theirs['id']}/state", json={"x": 1}, headers=nexus.reminder
        )
        assert response.status_code == 404
    assert (
        await client.delete(f"/subscriptions/{theirs['id']}", headers=nexus.reminder)
    ).status_code == 404
    by_admin = await client.get(f"/subscriptions/{theirs['id']}", headers=nexus.admin)
    assert by_admin.json()["state"] == {}

    # Users: a bot sees its own subscribers, and only its own bot in their list.
    users = await client.get("/users", headers=nexus.reminder)
    assert [u["telegram_id"] for u in users.json()] == [21]
    user_id = users.json()[0]["id"]
    bots = await client.get(f"/users/{user_id}/bots", headers=nexus.reminder)
    assert [b["bot"]["code"] for b in bots.json()] == ["reminder"]
    stranger = await client.get("/users/by-telegram/22", headers=nexus.reminder)
    assert stranger.status_code == 404


async def test_a_bot_cannot_act_for_another_bot(nexus: Nexus) -> None:
    client = nexus.client
    body = {"telegram_id": 31, "first_name": "A", "bot_code": "downloader"}
    response = await client.post("/users/from-telegram", json=body, headers=nexus.reminder)
    assert response.status_code == 403
    patched = await client.patch(
        "/bots/downloader", json={"webhook_url": "http://127.0.0.1/x"}, headers=nexus.reminder
    )
    assert patched.status_code == 403
    renamed = await client.patch("/bots/reminder", json={"name": "Mine"}, headers=nexus.reminder)
    assert renamed.status_code == 403  # name and activity are for admins
    pulled = await client.get("/bots/downloader/events", headers=nexus.reminder)
    assert pulled.status_code == 403
    created = await client.post("/bots", json={"code": "x", "name": "X"}, headers=nexus.reminder)
    assert created.status_code == 403
    user = await client.post(
        "/users", json={"telegram_id": 5, "first_name": "A"}, headers=nexus.reminder
    )
    assert user.status_code == 403


async def test_an_inactive_bots_token_is_refused(nexus: Nexus) -> None:
    await nexus.client.patch("/bots/reminder", json={"is_active": False}, headers=nexus.admin)
    assert (await nexus.client.get("/bots", headers=nexus.reminder)).status_code == 401


async def test_production_refuses_private_and_loopback_webhooks(
    tmp_path: Path, database_url: str, db: Database
) -> None:
    production = Settings(
        FODI_ENV="production",
        FODI_VAR_DIR=tmp_path,
        DATABASE_URL=database_url,
        JWT_SECRET="a-real-production-secret-0123456789",
    )
    production.nexus.dispatch_enabled = False
    await add_bot(db, "prodbot")
    headers = auth(await add_token(db, "prodbot"))
    async with asgi_client(create_app(production, database=db)) as client:
        for url in (
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "https://10.1.2.3/hook",
            "http://192.168.0.10/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
        ):
            response = await client.patch(
                "/bots/prodbot", json={"webhook_url": url}, headers=headers
            )
            assert response.status_code == 400, url
            assert "private or loopback" in response.json()["error"]
        public = await client.patch(
            "/bots/prodbot", json={"webhook_url": "https://93.184.216.34/hook"}, headers=headers
        )
        assert public.status_code == 200
