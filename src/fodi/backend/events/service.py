"""Writing to the outbox (inside the caller's transaction) and reading it back in id order."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.backend.events.models import OutboxEvent
from fodi.core.signals import Signal

# One arbitrary, fixed key for pg_advisory_xact_lock: "outbox" in ASCII.
OUTBOX_LOCK_KEY = 0x6F7574626F78


def _insert_locked_sql(count: int) -> str:
    """PostgreSQL: take the outbox lock and append the events in one round trip.

    A sequence hands out ids at insert time, so without the lock a transaction holding id 7
    could commit after one holding id 8, and a reader that already moved past 8 would never
    see 7.  ``pg_advisory_xact_lock`` is held until the commit, which is the last step of
    every writer, so ids become visible in order.  (SQLite's writers are serialized anyway
    by ``BEGIN IMMEDIATE``.)  Only placeholders are generated here, never values.
    """
    rows = ", ".join(f"(:type{i}, CAST(:payload{i} AS JSONB), {i})" for i in range(count))
    return f"""
        WITH locked AS (SELECT pg_advisory_xact_lock(:key))
        INSERT INTO backend_outbox (type, payload, created_at)
        SELECT new.type, new.payload, :now
        FROM locked, (VALUES {rows}) AS new(type, payload, position)
        ORDER BY new.position
    """  # noqa: S608 (placeholders only)


async def record(
    session: AsyncSession, events: Sequence[tuple[str, dict[str, Any]]], *, now: datetime
) -> None:
    """Append events to the outbox in the caller's transaction (which commits or not)."""
    if not events:
        return
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(
            insert(OutboxEvent),
            [{"type": kind, "payload": data, "created_at": now} for kind, data in events],
        )
        return
    params: dict[str, Any] = {"key": OUTBOX_LOCK_KEY, "now": now}
    for i, (kind, data) in enumerate(events):
        params[f"type{i}"] = kind
        params[f"payload{i}"] = json.dumps(data, ensure_ascii=False)
    await session.execute(text(_insert_locked_sql(len(events))), params)


async def latest_id(session: AsyncSession) -> int:
    value = (await session.execute(select(OutboxEvent.id).order_by(OutboxEvent.id.desc()))).first()
    return int(value[0]) if value else 0


async def events_after(session: AsyncSession, after: int, limit: int = 200) -> list[OutboxEvent]:
    rows = await session.scalars(
        select(OutboxEvent).where(OutboxEvent.id > after).order_by(OutboxEvent.id).limit(limit)
    )
    return list(rows)


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The JSON every SSE message carries (its ``id`` is also the SSE id)."""
    return {
        "id": event.id,
        "type": event.type,
        "createdAt": iso(event.created_at),
        "data": event.payload,
    }


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, the form every event uses."""
    return moment.isoformat().replace("+00:00", "Z")


# Wakes this process's event streams right after a commit wrote events.
OutboxSignal = Signal


__all__ = ["OUTBOX_LOCK_KEY", "OutboxSignal", "envelope", "events_after", "latest_id", "record"]
