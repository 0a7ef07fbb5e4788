"""The registry of bots."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.errors import Conflict, NotFound
from fodi.nexus.bots.models import Bot
from fodi.nexus.bots.schemas import BotCreate, BotUpdate
from fodi.nexus.events.webhooks import new_webhook_secret, validate_webhook_url

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


async def get_by_code(session: AsyncSession, code: str) -> Bot:
    bot = (await session.execute(select(Bot).where(Bot.code == code))).scalar_one_or_none()
    if bot is None:
        raise NotFound(f"Unknown bot code {code!r}")
    return bot


async def get(session: AsyncSession, ref: str) -> Bot:
    """A bot by id or by code (``/bots/{id}`` accepts either)."""
    if _UUID.match(ref):
        bot = await session.get(Bot, ref)
        if bot is None:
            raise NotFound("Bot not found")
        return bot
    return await get_by_code(session, ref)


async def get_active_by_code(session: AsyncSession, code: str) -> Bot:
    bot = await get_by_code(session, code)
    if not bot.is_active:
        raise NotFound(f"Bot {code!r} is not active")
    return bot


def list_query(*, code: str | None = None, is_active: bool | None = None) -> Select[Any]:
    statement = select(Bot).order_by(Bot.code)
    if code is not None:
        statement = statement.where(Bot.code == code)
    if is_active is not None:
        statement = statement.where(Bot.is_active == is_active)
    return statement


async def list_bots(session: AsyncSession, statement: Select[Any]) -> Sequence[Bot]:
    found: Sequence[Bot] = (await session.execute(statement)).scalars().all()
    return found


async def create(session: AsyncSession, data: BotCreate) -> Bot:
    bot = Bot(**data.model_dump())
    session.add(bot)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Bot code {data.code!r} already exists") from exc
    return bot


async def update(session: AsyncSession, bot: Bot, data: BotUpdate, *, production: bool) -> Bot:
    changes = data.model_dump(exclude_unset=True, exclude={"rotate_webhook_secret", "webhook_url"})
    for field, value in changes.items():
        if value is not None or field == "description":
            setattr(bot, field, value)
    if "webhook_url" in data.model_fields_set:
        if data.webhook_url:
            bot.webhook_url = await validate_webhook_url(data.webhook_url, production=production)
            if bot.webhook_secret is None:
                bot.webhook_secret = new_webhook_secret()
        else:
            bot.webhook_url = None
    if data.rotate_webhook_secret:
        bot.webhook_secret = new_webhook_secret()
    await session.flush()
    return bot


async def delete(session: AsyncSession, bot: Bot) -> None:
    await session.delete(bot)
    await session.flush()
