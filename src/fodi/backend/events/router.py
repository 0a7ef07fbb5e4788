"""``GET /api/events``: the outbox as Server-Sent Events, resumable with ``Last-Event-ID``.

Wire format (the gateway relies on it)::

    id: 42
    event: order.created
    data: {"id": 42, "type": "order.created", "createdAt": "...Z", "data": {...}}

A client that reconnects with its last id gets every later event, in order.  Without an id
(header or ``?after=``) the stream starts at the newest event: only what happens next.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from fodi.backend.deps import ManagerDep
from fodi.backend.events import service
from fodi.backend.events.schemas import EventEnvelope
from fodi.core.db import Database
from fodi.core.errors import BadRequest, problem_responses

router = APIRouter(prefix="/api", tags=["events"])

POLL_SECONDS = 0.15  # the most a commit in another process waits to be seen
PING_SECONDS = 15  # a comment line keeps idle proxies and clients from hanging up
BATCH = 200


def _start_id(last_event_id: str | None, after: int | None) -> int | None:
    if last_event_id is not None and last_event_id.strip():
        try:
            value = int(last_event_id.strip())
        except ValueError:
            raise BadRequest("Last-Event-ID must be an event id (an integer)") from None
        if value < 0:
            raise BadRequest("Last-Event-ID must not be negative")
        return value
    return after


async def stream(
    database: Database, signal: service.OutboxSignal, after: int, request: Request
) -> AsyncIterator[ServerSentEvent]:
    """Every event with an id above ``after``, then each new one as it is committed."""
    last = after
    while not await request.is_disconnected():
        async with database.session() as session:
            batch = await service.events_after(session, last, BATCH)
        for event in batch:
            body = json.dumps(service.envelope(event), ensure_ascii=False, separators=(",", ":"))
            yield ServerSentEvent(data=body, event=event.type, id=str(event.id))
            last = event.id
        if len(batch) < BATCH:
            await signal.wait(POLL_SECONDS)


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "text/event-stream; each message's data is an EventEnvelope",
            "content": {"text/event-stream": {"schema": EventEnvelope.model_json_schema()}},
        },
        **problem_responses(400, 401, 403),
    },
)
async def events(
    request: Request,
    _staff: ManagerDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=32)] = None,
    after: Annotated[int | None, Query(ge=0, description="Start after this event id")] = None,
) -> EventSourceResponse:
    """Order and stock events (admins and managers; the gateway signs in as admin)."""
    database: Database = request.app.state.db
    start = _start_id(last_event_id, after)
    if start is None:
        async with database.session() as session:
            start = await service.latest_id(session)
    signal: service.OutboxSignal = request.app.state.outbox_signal
    return EventSourceResponse(stream(database, signal, start, request), ping=PING_SECONDS)
