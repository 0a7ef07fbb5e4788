"""/events (emit, inspect, retry) and /bots/{code}/events (pull with long polling, ack)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from fodi.core.db import utcnow
from fodi.core.deps import SessionDep, SettingsDep
from fodi.core.errors import NotFound, problem_responses
from fodi.core.pagination import count_rows, set_page_headers
from fodi.core.signals import Signal
from fodi.nexus import flows
from fodi.nexus.auth.deps import CallerDep
from fodi.nexus.bots import service as bots
from fodi.nexus.events import service
from fodi.nexus.events.models import Event
from fodi.nexus.events.schemas import EmittedEvent, EventCreate, EventRead, Nack, PulledEvent
from fodi.nexus.http import PageDep

router = APIRouter(tags=["events"], responses=problem_responses(400, 401, 403, 404))


def _signal(request: Request) -> Signal:
    signal: Signal = request.app.state.nexus_signal
    return signal


@router.post("/events", response_model=EmittedEvent, status_code=201)
async def emit_event(
    data: EventCreate,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
) -> Any:
    """Emit an event to the bot ``bot_code`` (now, at ``scheduled_at``, or on a ``cron``
    schedule); the user's workflows listening for it schedule their steps."""
    event, triggered = await flows.emit(
        session, caller, data, max_payload_bytes=settings.nexus.max_document_bytes
    )
    await session.commit()
    _signal(request).notify()
    read = EmittedEvent.model_validate(event)
    return read.model_copy(update={"bot_code": data.bot_code, "triggered": triggered})


@router.get("/events", response_model=list[EventRead], tags=["events"])
async def list_events(
    request: Request,
    response: Response,
    session: SessionDep,
    caller: CallerDep,
    page: PageDep,
    status: Annotated[str | None, Query(description="pending, delivered or dead")] = None,
    bot_code: Annotated[str | None, Query(max_length=100)] = None,
    type: Annotated[str | None, Query(max_length=100)] = None,
    workflow_id: Annotated[str | None, Query(max_length=36)] = None,
    user_id: Annotated[str | None, Query(max_length=36)] = None,
) -> Any:
    bot_id = (await bots.get_by_code(session, bot_code)).id if bot_code else None
    statement = service.list_query(
        caller,
        status=service.check_status(status),
        bot_id=bot_id,
        event_type=type,
        workflow_id=workflow_id,
        user_id=user_id,
    )
    set_page_headers(request, response, page, await count_rows(session, statement))
    return (await session.execute(page.apply(statement))).scalars().all()


@router.get("/events/{event_id}", response_model=EventRead)
async def get_event(event_id: str, session: SessionDep, caller: CallerDep) -> Event:
    return await service.get(session, event_id, caller)


@router.post("/events/{event_id}/retry", response_model=EventRead)
async def retry_event(
    event_id: str, request: Request, session: SessionDep, caller: CallerDep
) -> Event:
    """Re-queue a dead-lettered event (its target bot or an admin)."""
    event = await service.get(session, event_id, caller)
    caller.require_bot(event.bot_id)
    event = await service.retry(session, event, utcnow())
    await session.commit()
    _signal(request).notify()
    return event


@router.get("/bots/{bot_code}/events", response_model=list[PulledEvent])
async def pull_events(
    bot_code: str,
    request: Request,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
    wait: Annotated[float, Query(ge=0, le=120, description="Long-poll seconds")] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    lease: Annotated[float, Query(gt=0, le=3600, description="Seconds to ack")] = 30,
) -> list[PulledEvent]:
    """Due events for this bot, leased for ``lease`` seconds: ack each one, or it is handed
    out again. With ``wait`` the call holds until an event is due (long polling)."""
    bot = await bots.get_by_code(session, bot_code)
    caller.require_bot(bot.id)
    deadline = time.monotonic() + min(wait, settings.nexus.long_poll_max_seconds)
    while True:
        now = utcnow()
        _, rows = await service.claim(
            session, limit=limit, lease_seconds=lease, now=now, bot_id=bot.id
        )
        await session.commit()  # also hands the connection back while we wait
        remaining = deadline - time.monotonic()
        if rows or remaining <= 0:
            break
        await _signal(request).wait(min(remaining, 0.5))
    return [
        PulledEvent(
            id=row["id"],
            type=row["event_type"],
            payload=row["payload"],
            user_id=row["user_id"],
            workflow_id=row["workflow_id"],
            scheduled_at=row["scheduled_at"],
            attempt=row["attempts"],
            lease_until=row["lease_until"],
        )
        for row in rows
    ]


@router.post("/bots/{bot_code}/events/{event_id}/ack", status_code=204)
async def ack_event(
    bot_code: str, event_id: str, session: SessionDep, caller: CallerDep
) -> Response:
    """Mark a pulled event delivered (acking twice is harmless)."""
    bot = await bots.get_by_code(session, bot_code)
    caller.require_bot(bot.id)
    now = utcnow()
    completed = await service.complete(session, [event_id], now=now, bot_id=bot.id)
    if not completed:
        event = await session.get(Event, event_id)
        if event is None or event.bot_id != bot.id:
            raise NotFound("Event not found")
    await flows.after_delivery(session, completed, now)
    await session.commit()
    return Response(status_code=204)


@router.post("/bots/{bot_code}/events/{event_id}/nack", status_code=204)
async def nack_event(
    bot_code: str,
    event_id: str,
    data: Nack,
    session: SessionDep,
    caller: CallerDep,
    settings: SettingsDep,
) -> Response:
    """Report a pulled event as failed: it is retried with backoff or dead-lettered."""
    bot = await bots.get_by_code(session, bot_code)
    caller.require_bot(bot.id)
    now = utcnow()
    config = settings.nexus
    row = await service.fail(
        session,
        event_id,
        error=data.error,
        now=now,
        max_attempts=config.max_attempts,
        backoff_base=config.backoff_base_seconds,
        backoff_max=config.backoff_max_seconds,
        bot_id=bot.id,
    )
    if row is None:
        raise NotFound("No pending event with that id for this bot")
    await flows.after_failure(session, row, now)
    await session.commit()
    return Response(status_code=204)
