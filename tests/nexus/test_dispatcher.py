"""The dispatcher against a real local webhook receiver: signatures, retries, dead letters,
timeouts, a worker killed mid-delivery, several workers at once."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest

from fodi.core.db import Database
from fodi.core.settings import Settings
from fodi.nexus.app import create_app
from fodi.nexus.config import NexusSettings
from fodi.nexus.dispatcher import Dispatcher
from fodi.nexus.events.webhooks import verify_signature
from tests.nexus.conftest import Nexus
from tests.nexus.receiver import Receiver, running_receiver
from tests.support import asgi_client

pytestmark = pytest.mark.slow

# Timeouts generous enough for a loaded CI machine; backoff short enough to watch it.
FAST = NexusSettings(
    lease_seconds=3.0,
    webhook_timeout_seconds=2.0,
    backoff_base_seconds=0.1,
    backoff_max_seconds=1.0,
    max_attempts=3,
    dispatch_poll_seconds=0.02,
    dispatch_batch=10,
)


async def register(nexus: Nexus, bot: str, url: str) -> str:
    headers = nexus.reminder if bot == "reminder" else nexus.downloader
    response = await nexus.client.patch(f"/bots/{bot}", json={"webhook_url": url}, headers=headers)
    assert response.status_code == 200, response.text
    secret: str = response.json()["webhook_secret"]
    return secret


async def emit(nexus: Nexus, target: str, kind: str = "report", **extra: object) -> str:
    body = {"bot_code": target, "type": kind, "payload": {"n": 1}, **extra}
    response = await nexus.client.post("/events", json=body, headers=nexus.reminder)
    assert response.status_code == 201, response.text
    event_id: str = response.json()["id"]
    return event_id


async def event(nexus: Nexus, event_id: str) -> dict[str, object]:
    response = await nexus.client.get(f"/events/{event_id}", headers=nexus.admin)
    result: dict[str, object] = response.json()
    return result


async def test_delivery_is_signed_and_recorded(
    committed_nexus: Nexus, committing_db: Database
) -> None:
    async with running_receiver() as receiver:
        secret = await register(committed_nexus, "downloader", receiver.url())
        event_id = await emit(committed_nexus, "downloader")
        assert await Dispatcher(committing_db, FAST).run_once() == 1
    [delivery] = receiver.received
    body = json.loads(delivery.body)
    assert body["id"] == event_id
    assert body["type"] == "report"
    assert body["payload"] == {"n": 1}
    assert delivery.headers["x-nexus-event-id"] == event_id
    assert verify_signature(
        secret,
        delivery.headers["x-nexus-timestamp"],
        delivery.body,
        delivery.headers["x-nexus-signature"],
    )
    assert not verify_signature(
        "whsec_wrong",
        delivery.headers["x-nexus-timestamp"],
        delivery.body,
        delivery.headers["x-nexus-signature"],
    )
    stored = await event(committed_nexus, event_id)
    assert stored["status"] == "delivered"
    assert stored["attempts"] == 1
    assert stored["processed_at"] is not None


async def test_failures_back_off_then_dead_letter_then_retry(
    committed_nexus: Nexus, committing_db: Database
) -> None:
    healthy = False

    async def flaky(_path: str, _n: int) -> int:
        return 200 if healthy else 500

    async with running_receiver(flaky) as receiver:
        await register(committed_nexus, "downloader", receiver.url())
        event_id = await emit(committed_nexus, "downloader")
        dispatcher = Dispatcher(committing_db, FAST)
        task = asyncio.create_task(dispatcher.run())
        await receiver.wait_for(3)
        await asyncio.sleep(0.2)
        stored = await event(committed_nexus, event_id)
        assert stored["status"] == "dead"
        assert stored["attempts"] == 3
        assert "HTTP 500" in str(stored["last_error"])
        gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
        assert gaps[0] >= 0.09
        assert gaps[1] >= 0.19
        dead = await committed_nexus.client.get(
            "/events", params={"status": "dead"}, headers=committed_nexus.admin
        )
        assert [e["id"] for e in dead.json()] == [event_id]

        healthy = True
        retried = await committed_nexus.client.post(
            f"/events/{event_id}/retry", headers=committed_nexus.downloader
        )
        assert retried.status_code == 200
        assert retried.json()["status"] == "pending"
        await receiver.wait_for(4)
        await asyncio.sleep(0.2)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert (await event(committed_nexus, event_id))["status"] == "delivered"


async def test_a_slow_webhook_times_out_and_does_not_hold_up_others(
    committed_nexus: Nexus, committing_db: Database
) -> None:
    async def slow_on_one_path(path: str, _n: int) -> int:
        if path == "/slow":
            await asyncio.sleep(10)
        return 200

    async with running_receiver(slow_on_one_path) as receiver:
        await register(committed_nexus, "downloader", receiver.url("/slow"))
        await register(committed_nexus, "reminder", receiver.url("/fast"))
        slow_id = await emit(committed_nexus, "downloader")
        fast_id = await emit(committed_nexus, "reminder")
        started = time.monotonic()
        assert await Dispatcher(committing_db, FAST).run_once() == 2
        assert time.monotonic() - started < 5
    slow, fast = await event(committed_nexus, slow_id), await event(committed_nexus, fast_id)
    assert fast["status"] == "delivered"
    assert slow["status"] == "pending"
    assert slow["attempts"] == 1
    assert slow["last_error"] == "timed out after 2s"


async def test_a_worker_killed_mid_delivery_loses_nothing(
    committed_nexus: Nexus, committing_db: Database
) -> None:
    release = asyncio.Event()

    async def hang_first(_path: str, n: int) -> int:
        if n == 0:
            await release.wait()  # the first delivery never finishes
        return 200

    config = NexusSettings(
        **{**FAST.model_dump(), "webhook_timeout_seconds": 1.0, "lease_seconds": 1.5}
    )
    async with running_receiver(hang_first) as receiver:
        await register(committed_nexus, "downloader", receiver.url())
        event_id = await emit(committed_nexus, "downloader")
        doomed = asyncio.create_task(Dispatcher(committing_db, config).run())
        await receiver.wait_for(1)
        doomed.cancel()  # killed mid-delivery: no outcome is ever recorded
        await asyncio.gather(doomed, return_exceptions=True)
        killed_at = time.monotonic()
        stored = await event(committed_nexus, event_id)
        assert stored["status"] == "pending"
        assert stored["attempts"] == 1

        survivor = Dispatcher(committing_db, config)
        assert await survivor.run_once() == 0  # still leased: no concurrent double delivery
        while await survivor.run_once() == 0:
            await asyncio.sleep(0.05)
        assert time.monotonic() - killed_at >= 1.0
        release.set()
    assert [r.headers["x-nexus-event-id"] for r in receiver.received] == [event_id, event_id]
    assert receiver.received[1].headers["x-nexus-attempt"] == "2"
    assert (await event(committed_nexus, event_id))["status"] == "delivered"


async def _run_two_workers(
    nexus: Nexus, migrated_url: str, count: int
) -> tuple[Receiver, list[int]]:
    async def a_little_work(_path: str, _n: int) -> int:
        await asyncio.sleep(0.01)
        return 200

    config = FAST.model_copy(update={"dispatch_batch": 5})
    async with running_receiver(a_little_work) as receiver:
        await register(nexus, "downloader", receiver.url())
        for _ in range(count):
            await emit(nexus, "downloader")
        # Two dispatchers with their own engines, as two processes would have.
        databases = [Database.from_url(migrated_url) for _ in range(2)]
        dispatchers = [
            Dispatcher(database, config, name=f"w{n}") for n, database in enumerate(databases)
        ]
        delivered = [0, 0]

        async def work(index: int) -> None:
            while len(receiver.received) < count:
                delivered[index] += await dispatchers[index].run_once()
                await asyncio.sleep(0)

        async with asyncio.timeout(30):
            await asyncio.gather(work(0), work(1))
        for database in databases:
            await database.dispose()
    return receiver, delivered


async def test_two_workers_never_deliver_an_event_twice(
    committed_nexus: Nexus, migrated_url: str
) -> None:
    receiver, delivered = await _run_two_workers(committed_nexus, migrated_url, 60)
    ids = Counter(r.headers["x-nexus-event-id"] for r in receiver.received)
    assert len(ids) == 60
    assert set(ids.values()) == {1}
    assert sum(delivered) == 60


@pytest.mark.postgres
async def test_two_workers_on_postgres_share_the_queue_with_skip_locked(
    committed_nexus: Nexus, migrated_url: str
) -> None:
    receiver, delivered = await _run_two_workers(committed_nexus, migrated_url, 100)
    ids = Counter(r.headers["x-nexus-event-id"] for r in receiver.received)
    assert len(ids) == 100
    assert set(ids.values()) == {1}
    assert all(n > 0 for n in delivered), delivered  # both claimed work side by side


async def test_the_app_runs_its_dispatcher_in_its_lifespan(
    committed_nexus: Nexus, committing_db: Database, settings: Settings
) -> None:
    settings.nexus = FAST.model_copy(update={"dispatch_enabled": True, "dispatch_workers": 2})
    app = create_app(settings, database=committing_db)
    async with running_receiver() as receiver, app.router.lifespan_context(app):
        await register(committed_nexus, "downloader", receiver.url())
        async with asgi_client(app) as client:
            response = await client.post(
                "/events",
                json={"bot_code": "downloader", "type": "now"},
                headers=committed_nexus.reminder,
            )
            assert response.status_code == 201
            await receiver.wait_for(1)
    assert receiver.received[0].headers["x-nexus-event-id"] == response.json()["id"]
