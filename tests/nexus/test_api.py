"""The HTTP API: the seed's endpoints and shapes, CRUD, pagination, look-ups, bad input."""

from __future__ import annotations

import pytest

from tests.nexus.conftest import Nexus


async def test_health_is_public_plain_ok(nexus: Nexus) -> None:
    response = await nexus.client.get("/health")
    assert response.status_code == 200
    assert response.text == "ok"


async def test_from_telegram_creates_then_touches(nexus: Nexus) -> None:
    first = await nexus.arrive(123456, username="alex")
    assert first["user_created"] is True
    assert first["subscription_created"] is True
    user, subscription = first["user"], first["subscription"]
    assert user["telegram_id"] == 123456
    assert user["username"] == "alex"
    assert subscription["bot_code"] == "reminder"
    assert subscription["settings"] == {}
    assert subscription["state"] == {}
    assert subscription["version"] == 1

    again = await nexus.arrive(123456, first_name="Alexander")
    assert again["user_created"] is False
    assert again["subscription_created"] is False
    assert again["user"]["id"] == user["id"]
    assert again["user"]["first_name"] == "Alexander"
    assert again["user"]["username"] == "alex"  # left out: kept
    assert again["subscription"]["id"] == subscription["id"]
    assert again["subscription"]["last_interaction_at"] > subscription["last_interaction_at"]

    cleared = await nexus.arrive(123456, username=None)
    assert cleared["user"]["username"] is None  # an explicit null clears


async def test_from_telegram_seed_body_without_optional_fields(nexus: Nexus) -> None:
    body = {"telegram_id": 5, "username": "alex", "first_name": "Alex", "bot_code": "reminder"}
    response = await nexus.client.post("/users/from-telegram", json=body, headers=nexus.reminder)
    assert response.status_code == 200
    assert response.json()["user"]["last_name"] is None


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"telegram_id": 1, "first_name": "A", "bot_code": "nope"}, 404, "Unknown bot code"),
        ({"telegram_id": -5, "first_name": "A", "bot_code": "reminder"}, 400, "telegram_id"),
        ({"telegram_id": 0, "first_name": "A", "bot_code": "reminder"}, 400, "telegram_id"),
        ({"first_name": "A", "bot_code": "reminder"}, 400, "telegram_id"),
        ({"telegram_id": "x", "first_name": "A", "bot_code": "reminder"}, 400, "telegram_id"),
        ({"telegram_id": 2**70, "first_name": "A", "bot_code": "reminder"}, 400, "telegram_id"),
    ],
)
async def test_from_telegram_bad_input_is_a_clear_4xx_and_writes_nothing(
    nexus: Nexus, body: dict[str, object], status: int, needle: str
) -> None:
    headers = nexus.admin
    response = await nexus.client.post("/users/from-telegram", json=body, headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json")
    assert needle in response.json()["error"]
    users = await nexus.client.get("/users", headers=nexus.admin)
    assert users.json() == []


async def test_user_bots_lists_settings_and_state(nexus: Nexus) -> None:
    arrival = await nexus.arrive(7, bot="reminder")
    await nexus.arrive(7, bot="downloader")
    user_id = arrival["user"]["id"]
    response = await nexus.client.get(f"/users/{user_id}/bots", headers=nexus.admin)
    assert response.status_code == 200
    codes = sorted(item["bot"]["code"] for item in response.json())
    assert codes == ["downloader", "reminder"]
    assert all("state" in item["subscription"] for item in response.json())
    assert all(item["bot"]["webhook_secret"] is None for item in response.json())


async def test_users_crud_pagination_and_telegram_lookup(nexus: Nexus) -> None:
    client, admin = nexus.client, nexus.admin
    for n in range(1, 6):
        body = {"telegram_id": 100 + n, "first_name": f"U{n}", "username": f"u{n}"}
        created = await client.post("/users", json=body, headers=admin)
        assert created.status_code == 201
    duplicate = await client.post(
        "/users", json={"telegram_id": 101, "first_name": "X"}, headers=admin
    )
    assert duplicate.status_code == 409

    page = await client.get("/users", params={"limit": 2, "offset": 2}, headers=admin)
    assert page.headers["X-Total-Count"] == "5"
    assert [u["telegram_id"] for u in page.json()] == [103, 104]
    assert 'rel="next"' in page.headers["Link"]
    assert 'rel="prev"' in page.headers["Link"]
    filtered = await client.get("/users", params={"username": "u4"}, headers=admin)
    assert [u["telegram_id"] for u in filtered.json()] == [104]

    found = await client.get("/users/by-telegram/105", headers=admin)
    assert found.status_code == 200
    user_id = found.json()["id"]
    updated = await client.patch(f"/users/{user_id}", json={"last_name": "L"}, headers=admin)
    assert updated.json()["last_name"] == "L"
    assert (await client.delete(f"/users/{user_id}", headers=admin)).status_code == 204
    assert (await client.get(f"/users/{user_id}", headers=admin)).status_code == 404
    assert (await client.get("/users/by-telegram/105", headers=admin)).status_code == 404


async def test_bots_crud(nexus: Nexus) -> None:
    client, admin = nexus.client, nexus.admin
    created = await client.post(
        "/bots", json={"code": "youtube_downloader", "name": "YT"}, headers=admin
    )
    assert created.status_code == 201
    bot = created.json()
    assert bot["version"] == "1.0.0"
    assert bot["is_active"] is True
    assert (
        await client.post("/bots", json={"code": "youtube_downloader", "name": "x"}, headers=admin)
    ).status_code == 409
    assert (
        await client.post("/bots", json={"code": "Bad Code!", "name": "x"}, headers=admin)
    ).status_code == 400
    listed = await client.get("/bots", params={"is_active": True}, headers=nexus.reminder)
    assert [b["code"] for b in listed.json()] == ["downloader", "reminder", "youtube_downloader"]
    by_code = await client.get("/bots/youtube_downloader", headers=admin)
    by_id = await client.get(f"/bots/{bot['id']}", headers=admin)
    assert by_code.json() == by_id.json()
    patched = await client.patch(
        f"/bots/{bot['id']}", json={"is_active": False, "version": "2.0"}, headers=admin
    )
    assert patched.json()["is_active"] is False
    assert patched.json()["version"] == "2.0"
    assert (await client.delete(f"/bots/{bot['id']}", headers=admin)).status_code == 204
    assert (await client.get(f"/bots/{bot['id']}", headers=admin)).status_code == 404


async def test_subscriptions_crud_filters_and_lookup(nexus: Nexus) -> None:
    client, admin = nexus.client, nexus.admin
    user = (
        await client.post("/users", json={"telegram_id": 9, "first_name": "N"}, headers=admin)
    ).json()
    created = await client.post(
        "/subscriptions",
        json={"user_id": user["id"], "bot_code": "downloader", "settings": {"quality": "720p"}},
        headers=admin,
    )
    assert created.status_code == 201
    assert created.headers["ETag"] == '"1"'
    subscription = created.json()
    again = await client.post(
        "/subscriptions", json={"user_id": user["id"], "bot_code": "downloader"}, headers=admin
    )
    assert again.status_code == 409
    await nexus.arrive(10, bot="reminder")

    by_bot = await client.get("/subscriptions", params={"bot_code": "downloader"}, headers=admin)
    assert [s["id"] for s in by_bot.json()] == [subscription["id"]]
    by_telegram = await client.get("/subscriptions", params={"telegram_id": 10}, headers=admin)
    assert [s["bot_code"] for s in by_telegram.json()] == ["reminder"]
    lookup = await client.get(
        "/subscriptions/by-telegram/9", params={"bot_code": "downloader"}, headers=admin
    )
    assert lookup.json()["settings"] == {"quality": "720p"}
    assert lookup.headers["ETag"] == '"1"'
    own = await client.get("/subscriptions/by-telegram/10", headers=nexus.reminder)
    assert own.status_code == 200
    missing_code = await client.get("/subscriptions/by-telegram/10", headers=admin)
    assert missing_code.status_code == 400

    sid = subscription["id"]
    assert (await client.delete(f"/subscriptions/{sid}", headers=admin)).status_code == 204
    assert (await client.get(f"/subscriptions/{sid}", headers=admin)).status_code == 404


async def test_webhook_registration_validates_urls(nexus: Nexus) -> None:
    client = nexus.client
    for bad in ("ftp://example.com/hook", "javascript:alert(1)", "http://", "not a url"):
        response = await client.patch(
            "/bots/reminder", json={"webhook_url": bad}, headers=nexus.reminder
        )
        assert response.status_code == 400, bad
    ok = await client.patch(
        "/bots/reminder", json={"webhook_url": "http://127.0.0.1:9/hook"}, headers=nexus.reminder
    )
    assert ok.status_code == 200  # development mode: loopback is fine
    secret = ok.json()["webhook_secret"]
    assert secret.startswith("whsec_")
    rotated = await client.patch(
        "/bots/reminder", json={"rotate_webhook_secret": True}, headers=nexus.reminder
    )
    assert rotated.json()["webhook_secret"] not in (None, secret)
    seen_by_other = await client.get("/bots/reminder", headers=nexus.downloader)
    assert seen_by_other.json()["webhook_secret"] is None
    assert seen_by_other.json()["webhook_url"] is None
    seen_by_admin = await client.get("/bots/reminder", headers=nexus.admin)
    assert seen_by_admin.json()["webhook_url"] == "http://127.0.0.1:9/hook"
    removed = await client.patch(
        "/bots/reminder", json={"webhook_url": None}, headers=nexus.reminder
    )
    assert removed.json()["webhook_url"] is None
