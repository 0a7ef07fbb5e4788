"""The dispatcher: delivers due events to bots' webhooks, signed, retried, dead-lettered.

Each worker loops: claim as many due events as it has free delivery slots (a lease with a
fresh token, see ``events.service.claim``), POST each one to its bot's webhook with an
overall timeout, then record the outcomes (batched into few transactions). A worker that dies
mid-delivery leaves only leases behind; when they run out another worker claims the events
again, so nothing is lost (delivery is at least once; bots de-duplicate by event id).
The lease is longer than the webhook timeout, so a live worker's delivery is never
duplicated concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from prometheus_client import Counter
from sqlalchemy import select

from fodi.core.db import Database, utcnow
from fodi.core.errors import AppError
from fodi.core.signals import Signal
from fodi.nexus import flows
from fodi.nexus.bots.models import Bot
from fodi.nexus.config import NexusSettings
from fodi.nexus.events import service as events
from fodi.nexus.events.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    validate_webhook_url,
)

log = structlog.get_logger(__name__)

DELIVERIES = Counter(
    "nexus_event_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"]
)


@dataclass(frozen=True, slots=True)
class Delivery:
    event: Mapping[Any, Any]
    bot: Bot
    token: str


def event_body(event: Mapping[Any, Any], bot_code: str) -> bytes:
    document = {
        "id": event["id"],
        "type": event["event_type"],
        "bot_code": bot_code,
        "payload": event["payload"],
        "user_id": event["user_id"],
        "workflow_id": event["workflow_id"],
        "scheduled_at": event["scheduled_at"].isoformat(),
        "attempt": event["attempts"],
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookClients:
    """One keep-alive pool per webhook origin, with as many connections as deliveries can be
    in flight: a delivery never waits for a connection, so its timeout measures the bot's
    answer only, and a slow bot never holds up another bot's deliveries."""

    def __init__(self, config: NexusSettings, connections: int) -> None:
        self.config = config
        self.connections = connections
        self._clients: dict[str, httpx.AsyncClient] = {}

    def for_url(self, url: str) -> httpx.AsyncClient:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        client = self._clients.get(origin)
        if client is None:
            connections = self.connections
            client = httpx.AsyncClient(
                timeout=self.config.webhook_timeout_seconds,
                # A redirect could lead anywhere, including private addresses.
                follow_redirects=False,
                limits=httpx.Limits(
                    max_connections=connections, max_keepalive_connections=connections
                ),
                trust_env=False,
            )
            self._clients[origin] = client
        return client

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


@dataclass
class Dispatcher:
    database: Database
    config: NexusSettings
    production: bool = False
    clients: WebhookClients | None = None
    signal: Signal = field(default_factory=Signal)
    name: str = "dispatcher"

    async def claim(self, limit: int) -> list[Delivery]:
        now = utcnow()
        async with self.database.session() as session:
            token, rows = await events.claim(
                session, limit=limit, lease_seconds=self.config.lease_seconds, now=now
            )
            bot_ids = {row["bot_id"] for row in rows}
            bots = {}
            if bot_ids:
                found = await session.execute(select(Bot).where(Bot.id.in_(bot_ids)))
                bots = {bot.id: bot for bot in found.scalars()}
            await session.commit()
        return [Delivery(row, bots[row["bot_id"]], token) for row in rows]

    async def run_once(self) -> int:
        """Claim one batch, deliver it and record the outcomes (tests and one-shot runs)."""
        batch = await self.claim(self.config.dispatch_batch)
        errors = await asyncio.gather(*(self._post(item) for item in batch))
        await self.record(list(zip(batch, errors, strict=True)))
        return len(batch)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Deliver until ``stop`` is set (then drain) or the task is cancelled (then abandon
        the in-flight deliveries to their leases, as a killed process would).

        Deliveries run concurrently (up to ``dispatch_batch``); their outcomes go through a
        queue to one recorder, which writes whatever has accumulated in one transaction, so
        the database sees a few transactions per second rather than one per event.
        """
        stop = stop or asyncio.Event()
        outcomes: asyncio.Queue[tuple[Delivery, str | None]] = asyncio.Queue()
        inflight: set[asyncio.Task[None]] = set()
        recorder = asyncio.create_task(self._record_from(outcomes))

        async def deliver(item: Delivery) -> None:
            outcomes.put_nowait((item, await self._post(item)))

        try:
            # Claim in chunks (a claim is a transaction): only once a quarter of the slots
            # are free, then wait for deliveries to finish or for new events to fall due.
            chunk = max(1, self.config.dispatch_batch // 4)
            while not stop.is_set():
                free = self.config.dispatch_batch - len(inflight)
                claimed = await self._claim_safely(free) if free >= chunk else []
                for item in claimed:
                    task = asyncio.create_task(deliver(item))
                    inflight.add(task)
                    task.add_done_callback(inflight.discard)
                slots_short = self.config.dispatch_batch - len(inflight) < chunk
                if inflight and slots_short:
                    await asyncio.wait(
                        inflight,
                        timeout=self.config.dispatch_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                elif len(claimed) < free:  # nothing more is due right now
                    await self.signal.wait(self.config.dispatch_poll_seconds)
            if inflight:
                await asyncio.wait(inflight, timeout=self.config.webhook_timeout_seconds + 1)
            await outcomes.join()
        finally:
            for task in [*inflight, recorder]:
                task.cancel()
            await asyncio.gather(*inflight, recorder, return_exceptions=True)

    async def _claim_safely(self, limit: int) -> list[Delivery]:
        try:
            return await self.claim(limit)
        except Exception:
            # The database being briefly away must not kill the worker; try again later.
            log.exception("claim failed", worker=self.name)
            await asyncio.sleep(self.config.dispatch_poll_seconds)
            return []

    async def _record_from(self, outcomes: asyncio.Queue[tuple[Delivery, str | None]]) -> None:
        while True:
            batch = [await outcomes.get()]
            while not outcomes.empty() and len(batch) < 1000:
                batch.append(outcomes.get_nowait())
            try:
                await self.record(batch)
            except Exception:
                # Unrecorded outcomes are not lost: their leases run out and the events are
                # delivered again (at least once).
                log.exception("recording outcomes failed", worker=self.name, count=len(batch))
            finally:
                for _ in batch:
                    outcomes.task_done()

    async def record(self, outcomes: list[tuple[Delivery, str | None]]) -> None:
        """Write the outcomes of deliveries in one transaction."""
        if not outcomes:
            return
        now = utcnow()
        delivered: dict[str, list[str]] = {}
        for item, error in outcomes:
            DELIVERIES.labels(outcome="ok" if error is None else "failed").inc()
            if error is None:
                delivered.setdefault(item.token, []).append(item.event["id"])
        async with self.database.session() as session:
            for token, ids in delivered.items():
                completed = await events.complete(session, ids, token=token, now=now)
                await flows.after_delivery(session, completed, now)
            for item, error in outcomes:
                if error is None:
                    continue
                row = await events.fail(
                    session,
                    item.event["id"],
                    token=item.token,
                    error=error,
                    now=now,
                    max_attempts=self.config.max_attempts,
                    backoff_base=self.config.backoff_base_seconds,
                    backoff_max=self.config.backoff_max_seconds,
                )
                if row is not None:
                    await flows.after_failure(session, row, now)
                log.info("delivery failed", event_id=item.event["id"], error=error)
            await session.commit()

    async def _post(self, item: Delivery) -> str | None:
        """None on a 2xx answer, else what went wrong (recorded as the event's last error)."""
        url, secret = item.bot.webhook_url, item.bot.webhook_secret
        if not url or not secret:
            return "the bot has no webhook any more"
        timeout = self.config.webhook_timeout_seconds
        try:
            if self.production:
                await validate_webhook_url(url, production=True)
            body = event_body(item.event, item.bot.code)
            timestamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "fodi-nexus-dispatcher",
                EVENT_ID_HEADER: item.event["id"],
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(secret, timestamp, body),
                "X-Nexus-Attempt": str(item.event["attempts"]),
            }
            async with asyncio.timeout(timeout):  # the whole exchange, not just each read
                response = (
                    await self._clients().for_url(url).post(url, content=body, headers=headers)
                )
        except TimeoutError:
            return f"timed out after {timeout:g}s"
        except AppError as exc:
            return exc.message
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:200]}"

    def _clients(self) -> WebhookClients:
        if self.clients is None:
            self.clients = WebhookClients(self.config, self.config.dispatch_batch)
        return self.clients


@contextlib.asynccontextmanager
async def running_workers(
    database: Database,
    config: NexusSettings,
    *,
    production: bool,
    workers: int,
    signal: Signal | None = None,
) -> AsyncIterator[list[Dispatcher]]:
    """``workers`` dispatcher loops in this process, stopped (and drained) on exit."""
    stop = asyncio.Event()
    signal = signal or Signal()
    clients = WebhookClients(config, config.dispatch_batch * workers)
    dispatchers = [
        Dispatcher(database, config, production, clients, signal, name=f"dispatcher-{n}")
        for n in range(workers)
    ]
    tasks = [asyncio.create_task(d.run(stop)) for d in dispatchers]
    try:
        yield dispatchers
    finally:
        stop.set()
        signal.notify()
        await asyncio.gather(*tasks, return_exceptions=True)
        await clients.aclose()
