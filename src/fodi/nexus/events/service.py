"""Events: create, list, and the claim/complete/fail cycle every delivery goes through.

Claiming is one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``:
on PostgreSQL concurrent workers skip each other's rows; on SQLite (which ignores
``FOR UPDATE``) every transaction is ``BEGIN IMMEDIATE``, so claims are serialized by the
database lock and the conditional ``lease_until`` test makes a claimed row invisible to the
next claimer. A claim sets a lease and a fresh token; only the token's holder can complete
or fail the event, and a holder that dies simply lets the lease run out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import new_id
from fodi.core.errors import BadRequest, Conflict, NotFound
from fodi.nexus.auth.service import Caller
from fodi.nexus.bots.models import Bot
from fodi.nexus.events.models import Event, EventStatus

TABLE = cast(Table, Event.__table__)
MAX_ERROR_LENGTH = 1000


async def create(
    session: AsyncSession,
    *,
    target: Bot,
    event_type: str,
    payload: dict[str, Any],
    scheduled_at: datetime,
    source_bot_id: str | None = None,
    user_id: str | None = None,
    cron: str | None = None,
    workflow_id: str | None = None,
) -> Event:
    event = Event(
        bot_id=target.id,
        source_bot_id=source_bot_id,
        user_id=user_id,
        workflow_id=workflow_id,
        event_type=event_type,
        payload=payload,
        cron=cron,
        scheduled_at=scheduled_at,
        status=EventStatus.PENDING,
        attempts=0,
    )
    session.add(event)
    await session.flush()
    return event


def reachable(statement: Select[Any], caller: Caller) -> Select[Any]:
    """A bot sees the events addressed to it and the ones it emitted."""
    if caller.is_admin:
        return statement
    return statement.where(or_(Event.bot_id == caller.bot_id, Event.source_bot_id == caller.bot_id))


async def get(session: AsyncSession, event_id: str, caller: Caller) -> Event:
    statement = reachable(select(Event).where(Event.id == event_id), caller)
    event: Event | None = (await session.execute(statement)).scalar_one_or_none()
    if event is None:
        raise NotFound("Event not found")
    return event


def list_query(
    caller: Caller,
    *,
    status: str | None = None,
    bot_id: str | None = None,
    event_type: str | None = None,
    workflow_id: str | None = None,
    user_id: str | None = None,
) -> Select[Any]:
    statement = select(Event).order_by(Event.scheduled_at, Event.id)
    if status is not None:
        statement = statement.where(Event.status == status)
    if bot_id is not None:
        statement = statement.where(Event.bot_id == bot_id)
    if event_type is not None:
        statement = statement.where(Event.event_type == event_type)
    if workflow_id is not None:
        statement = statement.where(Event.workflow_id == workflow_id)
    if user_id is not None:
        statement = statement.where(Event.user_id == user_id)
    return reachable(statement, caller)


async def claim(
    session: AsyncSession,
    *,
    limit: int,
    lease_seconds: float,
    now: datetime,
    bot_id: str | None = None,
) -> tuple[str, Sequence[Mapping[Any, Any]]]:
    """Lease up to ``limit`` due events: for one bot (pull), or for every bot with a webhook."""
    due = select(Event.id).where(
        Event.status == EventStatus.PENDING,
        Event.scheduled_at <= now,
        or_(Event.lease_until.is_(None), Event.lease_until <= now),
    )
    if bot_id is not None:
        due = due.where(Event.bot_id == bot_id)
    else:
        pushed = select(Bot.id).where(Bot.webhook_url.is_not(None), Bot.is_active.is_(True))
        due = due.where(Event.bot_id.in_(pushed))
    due = due.order_by(Event.scheduled_at).limit(limit).with_for_update(skip_locked=True)
    token = new_id()
    statement = (
        update(TABLE)
        .where(TABLE.c.id.in_(due.scalar_subquery()))
        .values(
            lease_until=now + timedelta(seconds=lease_seconds),
            lease_token=token,
            attempts=TABLE.c.attempts + 1,
        )
        .returning(*TABLE.c)
    )
    claimed = (await session.execute(statement)).mappings().all()
    return token, sorted(claimed, key=lambda row: row["scheduled_at"])


async def complete(
    session: AsyncSession,
    event_ids: Sequence[str],
    *,
    now: datetime,
    token: str | None = None,
    bot_id: str | None = None,
) -> Sequence[Mapping[Any, Any]]:
    """Mark delivered the pending events still held by ``token`` (or addressed to ``bot_id``,
    for an ack); the rows this call completed (each completes once)."""
    if not event_ids:
        return []
    statement = update(TABLE).where(
        TABLE.c.id.in_(list(event_ids)), TABLE.c.status == EventStatus.PENDING
    )
    if token is not None:
        statement = statement.where(TABLE.c.lease_token == token)
    if bot_id is not None:
        statement = statement.where(TABLE.c.bot_id == bot_id)
    statement = statement.values(
        status=EventStatus.DELIVERED,
        processed_at=now,
        lease_until=None,
        lease_token=None,
        last_error=None,
    ).returning(*TABLE.c)
    return (await session.execute(statement)).mappings().all()


def backoff_seconds(attempts: int, base: float, ceiling: float) -> float:
    """Exponential: base, 2·base, 4·base, ... capped at ``ceiling``."""
    return float(min(base * 2 ** max(attempts - 1, 0), ceiling))


async def fail(
    session: AsyncSession,
    event_id: str,
    *,
    error: str,
    now: datetime,
    max_attempts: int,
    backoff_base: float,
    backoff_max: float,
    token: str | None = None,
    bot_id: str | None = None,
) -> Mapping[Any, Any] | None:
    """Record a failed attempt: retry later with backoff, or dead-letter after the last one."""
    statement = select(TABLE.c.attempts).where(
        TABLE.c.id == event_id, TABLE.c.status == EventStatus.PENDING
    )
    if token is not None:
        statement = statement.where(TABLE.c.lease_token == token)
    if bot_id is not None:
        statement = statement.where(TABLE.c.bot_id == bot_id)
    attempts = (await session.execute(statement)).scalar_one_or_none()
    if attempts is None:
        return None  # lost the lease (another worker holds the event now) or already done
    changes: dict[str, Any] = {"last_error": error[:MAX_ERROR_LENGTH], "lease_token": None}
    if attempts >= max_attempts:
        changes.update(status=EventStatus.DEAD, lease_until=None)
    else:
        delay = backoff_seconds(attempts, backoff_base, backoff_max)
        changes.update(lease_until=now + timedelta(seconds=delay))
    guarded = update(TABLE).where(TABLE.c.id == event_id, TABLE.c.status == EventStatus.PENDING)
    if token is not None:
        guarded = guarded.where(TABLE.c.lease_token == token)
    result = await session.execute(guarded.values(**changes).returning(*TABLE.c))
    return result.mappings().first()


async def retry(session: AsyncSession, event: Event, now: datetime) -> Event:
    """Put a dead-lettered event back in the queue with a fresh attempt budget."""
    if event.status != EventStatus.DEAD:
        raise Conflict("Only dead-lettered events can be retried")
    event.status = EventStatus.PENDING
    event.attempts = 0
    event.lease_until = None
    event.lease_token = None
    event.scheduled_at = now
    await session.flush()
    return event


def check_status(status: str | None) -> str | None:
    if status is not None and status not in {s.value for s in EventStatus}:
        raise BadRequest(f"status must be one of {', '.join(s.value for s in EventStatus)}")
    return status
