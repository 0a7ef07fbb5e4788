"""Work that spans domains, each inside the caller's one transaction.

- ``from_telegram``: the seed's main scenario (user upsert + bot look-up + subscription).
- ``emit``: a bot emits an event; the user's active workflows may schedule more.
- ``create_workflow``: validate a definition against the registry, schedule its start.
- ``after_delivery`` / ``after_failure``: what follows an event's outcome (the next
  occurrence of a repeating schedule, a failed workflow).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import utcnow
from fodi.core.errors import BadRequest
from fodi.nexus.auth.service import Caller
from fodi.nexus.bots import service as bots
from fodi.nexus.bots.models import Bot
from fodi.nexus.events import service as events
from fodi.nexus.events.models import Event, EventStatus
from fodi.nexus.events.schedule import next_fire, validate_cron
from fodi.nexus.events.schemas import EventCreate
from fodi.nexus.subscriptions import service as subscriptions
from fodi.nexus.users import service as users
from fodi.nexus.users.schemas import FromTelegram
from fodi.nexus.workflows import service as workflows
from fodi.nexus.workflows.models import Workflow, WorkflowStatus
from fodi.nexus.workflows.schemas import Action, Definition, WorkflowCreate


@dataclass(frozen=True, slots=True)
class Arrival:
    user: Mapping[Any, Any]
    subscription: Mapping[Any, Any]
    user_created: bool
    subscription_created: bool


async def from_telegram(session: AsyncSession, data: FromTelegram, caller: Caller) -> Arrival:
    """Upsert the user, find the bot, create the subscription if missing, touch it.

    Two ``INSERT ... ON CONFLICT`` statements in one transaction: concurrent calls for the
    same person converge on one user and one subscription on PostgreSQL, and queue on the
    write lock on SQLite.
    """
    if caller.bot_code == data.bot_code and caller.bot_id is not None:
        # The usual case, a bot announcing its own user: authentication already found the
        # bot (active), so skip a round trip to the database.
        bot_id = caller.bot_id
    else:
        bot = await bots.get_active_by_code(session, data.bot_code)
        caller.require_bot(bot.id)
        bot_id = bot.id
    now = utcnow()
    profile = {field: getattr(data, field) for field in users.PROFILE_FIELDS}
    present = {field: value for field, value in profile.items() if field in data.model_fields_set}
    if present.get("first_name", "") is None:
        present["first_name"] = ""
    user, user_created = await users.upsert(session, data.telegram_id, present, now)
    subscription, subscription_created = await subscriptions.ensure(
        session, user["id"], bot_id, data.bot_code, now
    )
    return Arrival(user, subscription, user_created, subscription_created)


async def _target(session: AsyncSession, code: str) -> Bot:
    bot = await bots.get_by_code(session, code)
    if not bot.is_active:
        raise BadRequest(f"Bot {code!r} is not active")
    return bot


async def emit(
    session: AsyncSession, caller: Caller, data: EventCreate, *, max_payload_bytes: int
) -> tuple[Event, list[str]]:
    subscriptions.check_size(data.payload, max_payload_bytes)
    target = await _target(session, data.bot_code)
    if data.user_id is not None:
        await users.get(session, data.user_id, caller)  # 404 unless the caller may see them
    now = utcnow()
    scheduled_at = data.scheduled_at or now
    if data.cron is not None:
        first = validate_cron(data.cron, now)
        scheduled_at = data.scheduled_at or first
    event = await events.create(
        session,
        target=target,
        source_bot_id=caller.bot_id,
        user_id=data.user_id,
        event_type=data.type,
        payload=data.payload,
        scheduled_at=scheduled_at,
        cron=data.cron,
    )
    triggered: list[str] = []
    if data.user_id is not None and caller.bot_code is not None:
        triggered = await _trigger(session, caller.bot_code, event, now)
    return event, triggered


async def _trigger(
    session: AsyncSession, source_code: str, event: Event, now: datetime
) -> list[str]:
    """Run the steps of the user's active workflows that listen for this event."""
    assert event.user_id is not None
    scheduled: list[str] = []
    for workflow in await workflows.active_for_user(session, event.user_id):
        definition = Definition.model_validate(workflow.definition)
        for step in definition.steps:
            if step.on.bot != source_code or step.on.type != event.event_type:
                continue
            created = await _schedule(session, workflow, step.then, now)
            scheduled += created
            workflows.record(
                session,
                workflow.id,
                "triggered",
                step=step.name,
                event_id=event.id,
                scheduled=created,
            )
            if step.finish:
                workflow.status = WorkflowStatus.FINISHED
                workflows.record(session, workflow.id, "finished", step=step.name)
                break
    return scheduled


async def _schedule(
    session: AsyncSession, workflow: Workflow, actions: Sequence[Action], now: datetime
) -> list[str]:
    created = []
    for action in actions:
        target = await _target(session, action.bot)
        when = now + timedelta(seconds=action.delay_seconds)
        if action.cron is not None:
            when = validate_cron(action.cron, when)
        event = await events.create(
            session,
            target=target,
            source_bot_id=workflow.owner_bot_id,
            user_id=workflow.user_id,
            workflow_id=workflow.id,
            event_type=action.type,
            payload=action.payload,
            scheduled_at=when,
            cron=action.cron,
        )
        created.append(event.id)
    return created


async def create_workflow(session: AsyncSession, caller: Caller, data: WorkflowCreate) -> Workflow:
    """Check every bot and cron of the definition, store it, schedule its start events."""
    await users.get(session, data.user_id, caller)
    now = utcnow()
    for step in data.definition.steps:
        await bots.get_by_code(session, step.on.bot)
    for action in [*data.definition.start, *(a for s in data.definition.steps for a in s.then)]:
        await _target(session, action.bot)
        if action.cron is not None:
            validate_cron(action.cron, now)
    workflow = Workflow(
        user_id=data.user_id,
        owner_bot_id=caller.bot_id,
        name=data.name,
        status=WorkflowStatus.ACTIVE,
        definition=data.definition.model_dump(mode="json"),
    )
    session.add(workflow)
    await session.flush()
    workflows.record(session, workflow.id, "created", name=data.name)
    started = await _schedule(session, workflow, data.definition.start, now)
    if started:
        workflows.record(session, workflow.id, "started", scheduled=started)
    await session.flush()
    return workflow


async def _next_occurrence(session: AsyncSession, row: Mapping[Any, Any], now: datetime) -> None:
    cron = row["cron"]
    if not cron:
        return
    after = max(row["scheduled_at"], now)
    target = await session.get(Bot, row["bot_id"])
    if target is None:
        return
    await events.create(
        session,
        target=target,
        source_bot_id=row["source_bot_id"],
        user_id=row["user_id"],
        workflow_id=row["workflow_id"],
        event_type=row["event_type"],
        payload=row["payload"],
        scheduled_at=next_fire(cron, after),
        cron=cron,
    )


async def after_delivery(
    session: AsyncSession, completed: Sequence[Mapping[Any, Any]], now: datetime
) -> None:
    """Each completed occurrence of a repeating event schedules the next (exactly once, since
    only the statement that completed the row sees it here)."""
    for row in completed:
        await _next_occurrence(session, row, now)


async def after_failure(session: AsyncSession, row: Mapping[Any, Any], now: datetime) -> None:
    if row["status"] != EventStatus.DEAD:
        return
    await _next_occurrence(session, row, now)
    if row["workflow_id"] is not None:
        await workflows.mark_failed(
            session, row["workflow_id"], now, event_id=row["id"], error=row["last_error"]
        )
