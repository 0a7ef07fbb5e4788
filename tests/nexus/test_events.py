"""Events: emitting, pulling with long polling and acks, nacks, cron schedules, bad input."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.nexus.conftest import Nexus


async def emit(nexus: Nexus, **body: object) -> dict[str, object]:
    document = {"bot_code": "downloader", "type": "report", **body}
    response = await nexus.client.post("/events", json=document, headers=nexus.reminder)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


async def pull(nexus: Nexus, **params: float) -> list[dict[str, object]]:
    response = await nexus.client.get(
        "/bots/downloader/events", params=params, headers=nexus.downloader
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, object]] = response.json()
    return events


async def test_emit_records_source_target_and_schedule(nexus: Nexus) -> None:
    user_id = (await nexus.arrive(50))["user"]["id"]
    later = datetime.now(UTC) + timedelta(hours=1)
    event = await emit(nexus, payload={"a": 1}, user_id=user_id, scheduled_at=later.isoformat())
    assert event["bot_code"] == "downloader"
    assert event["source_bot_id"] == nexus.reminder_id
    assert event["status"] == "pending"
    assert event["attempts"] == 0
    assert datetime.fromisoformat(str(event["scheduled_at"])) == later
    assert await pull(nexus) == []  # not due yet
    mine = await nexus.client.get("/events", headers=nexus.downloader)
    assert [e["id"] for e in mine.json()] == [event["id"]]


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"bot_code": "ghost", "type": "x"}, 404, "Unknown bot code"),
        ({"bot_code": "downloader", "type": "bad type!"}, 400, "type"),
        ({"bot_code": "downloader", "type": "x", "cron": "0 0 30 2 *"}, 400, "never fires"),
        ({"bot_code": "downloader", "type": "x", "cron": "every day"}, 400, "not valid"),
        ({"bot_code": "downloader", "type": "x", "cron": "61 * * * *"}, 400, "not valid"),
        ({"bot_code": "downloader", "type": "x", "scheduled_at": "2030-01-01T00:00:00"}, 400, ""),
        ({"bot_code": "downloader", "type": "x", "user_id": "nobody"}, 404, "User not found"),
        ({"bot_code": "downloader", "type": "x", "payload": [1]}, 400, "payload"),
    ],
)
async def test_bad_events_are_refused_and_nothing_is_queued(
    nexus: Nexus, body: dict[str, object], status: int, needle: str
) -> None:
    response = await nexus.client.post("/events", json=body, headers=nexus.reminder)
    assert response.status_code == status, response.text
    assert needle in response.json()["error"]
    assert (await nexus.client.get("/events", headers=nexus.admin)).json() == []


async def test_pull_ack_and_redelivery_after_the_lease(nexus: Nexus) -> None:
    event = await emit(nexus)
    [pulled] = await pull(nexus, lease=0.2)
    assert pulled["id"] == event["id"]
    assert pulled["attempt"] == 1
    assert await pull(nexus) == []  # leased
    await asyncio.sleep(0.3)
    [again] = await pull(nexus, lease=30)  # not acked in time: handed out again
    assert again["id"] == event["id"]
    assert again["attempt"] == 2
    ack = await nexus.client.post(
        f"/bots/downloader/events/{event['id']}/ack", headers=nexus.downloader
    )
    assert ack.status_code == 204
    twice = await nexus.client.post(
        f"/bots/downloader/events/{event['id']}/ack", headers=nexus.downloader
    )
    assert twice.status_code == 204
    stored = (await nexus.client.get(f"/events/{event['id']}", headers=nexus.admin)).json()
    assert stored["status"] == "delivered"
    assert stored["processed_at"] is not None
    ghost = await nexus.client.post("/bots/downloader/events/nope/ack", headers=nexus.downloader)
    assert ghost.status_code == 404


async def test_nack_backs_off_and_dead_letters(nexus: Nexus) -> None:
    config = nexus.app.state.settings.nexus
    config.max_attempts, config.backoff_base_seconds = 2, 0.2
    event = await emit(nexus)
    url = f"/bots/downloader/events/{event['id']}/nack"
    assert len(await pull(nexus)) == 1
    nack = await nexus.client.post(url, json={"error": "cannot render"}, headers=nexus.downloader)
    assert nack.status_code == 204
    assert await pull(nexus) == []  # backing off
    await asyncio.sleep(0.25)
    [again] = await pull(nexus)
    assert again["attempt"] == 2
    await nexus.client.post(url, json={"error": "still broken"}, headers=nexus.downloader)
    stored = (await nexus.client.get(f"/events/{event['id']}", headers=nexus.admin)).json()
    assert stored["status"] == "dead"
    assert stored["last_error"] == "still broken"
    assert (await nexus.client.post(url, json={}, headers=nexus.downloader)).status_code == 404
    retried = await nexus.client.post(f"/events/{event['id']}/retry", headers=nexus.downloader)
    assert retried.json()["status"] == "pending"
    assert retried.json()["attempts"] == 0
    assert [e["id"] for e in await pull(nexus)] == [event["id"]]


async def test_long_poll_returns_as_soon_as_an_event_arrives(committed_nexus: Nexus) -> None:
    nexus = committed_nexus

    async def emit_later() -> None:
        await asyncio.sleep(0.3)
        await emit(nexus)

    started = time.monotonic()
    pulled, _ = await asyncio.gather(pull(nexus, wait=10), emit_later())
    elapsed = time.monotonic() - started
    assert len(pulled) == 1
    assert 0.25 < elapsed < 2
    started = time.monotonic()
    assert await pull(nexus, wait=0.3) == []
    assert time.monotonic() - started >= 0.3


async def test_cron_event_schedules_its_next_occurrence_when_done(nexus: Nexus) -> None:
    event = await emit(nexus, cron="* * * * * *")  # every second (croniter's seconds field)
    first_at = datetime.fromisoformat(str(event["scheduled_at"]))
    await asyncio.sleep(max((first_at - datetime.now(UTC)).total_seconds(), 0) + 0.05)
    [pulled] = await pull(nexus)
    await nexus.client.post(f"/bots/downloader/events/{pulled['id']}/ack", headers=nexus.downloader)
    events = (
        await nexus.client.get("/events", params={"type": "report"}, headers=nexus.admin)
    ).json()
    assert [e["status"] for e in events] == ["delivered", "pending"]
    assert events[1]["cron"] == "* * * * * *"
    assert datetime.fromisoformat(events[1]["scheduled_at"]) > first_at
