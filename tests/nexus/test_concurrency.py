"""Concurrent writers with real commits: one user per person, no lost or silent overwrite."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from fodi.core.db import Database
from fodi.nexus.models import Subscription, User
from tests.nexus.conftest import Nexus


async def test_two_writers_with_the_same_etag_one_wins_one_gets_412(
    committed_nexus: Nexus,
) -> None:
    nexus = committed_nexus
    sid = (await nexus.subscription(11))["id"]
    url = f"/subscriptions/{sid}/state"
    etag = (await nexus.client.get(f"/subscriptions/{sid}", headers=nexus.reminder)).headers["ETag"]
    headers = {**nexus.reminder, "If-Match": etag}
    first, second = await asyncio.gather(
        nexus.client.patch(url, json={"writer": "first"}, headers=headers),
        nexus.client.patch(url, json={"writer": "second"}, headers=headers),
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412]
    winner = first if first.status_code == 200 else second
    current = (await nexus.client.get(f"/subscriptions/{sid}", headers=nexus.reminder)).json()
    assert current["state"] == winner.json()["state"]
    assert current["version"] == 2


async def test_concurrent_merges_of_different_keys_lose_nothing(committed_nexus: Nexus) -> None:
    nexus = committed_nexus
    sid = (await nexus.subscription(12))["id"]
    url = f"/subscriptions/{sid}/state"
    responses = await asyncio.gather(
        *(
            nexus.client.patch(url, json={"counters": {f"k{n}": n}}, headers=nexus.reminder)
            for n in range(20)
        )
    )
    assert all(r.status_code == 200 for r in responses)
    current = (await nexus.client.get(f"/subscriptions/{sid}", headers=nexus.reminder)).json()
    assert current["state"]["counters"] == {f"k{n}": n for n in range(20)}
    assert current["version"] == 21
    assert sorted(r.json()["version"] for r in responses) == list(range(2, 22))


async def test_concurrent_first_messages_make_one_user_and_one_subscription(
    committed_nexus: Nexus, committing_db: Database
) -> None:
    nexus = committed_nexus
    body = {"telegram_id": 777, "first_name": "Race", "bot_code": "reminder"}
    responses = await asyncio.gather(
        *(
            nexus.client.post("/users/from-telegram", json=body, headers=nexus.reminder)
            for _ in range(20)
        )
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert len({r.json()["user"]["id"] for r in responses}) == 1
    assert len({r.json()["subscription"]["id"] for r in responses}) == 1
    assert sum(r.json()["user_created"] for r in responses) == 1
    assert sum(r.json()["subscription_created"] for r in responses) == 1
    async with committing_db.session() as session:
        users = await session.scalar(select(func.count()).select_from(User))
        subscriptions = await session.scalar(select(func.count()).select_from(Subscription))
    assert (users, subscriptions) == (1, 1)
