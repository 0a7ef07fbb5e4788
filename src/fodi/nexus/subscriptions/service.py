"""Subscriptions: CRUD, and their settings/state written atomically with versions.

A write is one ``UPDATE ... SET doc = merge(doc, :patch), version = version + 1
WHERE id = :id [AND version = :expected] RETURNING ...``: the merge is computed by the
database inside the statement (``nexus_merge_patch`` on PostgreSQL, ``json_patch`` on
SQLite, both RFC 7396), so two writers never lose each other's keys, and a writer that
names a version (``If-Match``) either wins or gets 412.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import JSONType, new_id, utcnow
from fodi.core.errors import Conflict, NotFound, PayloadTooLarge, PreconditionFailed
from fodi.nexus.auth.service import Caller
from fodi.nexus.bots.models import Bot
from fodi.nexus.subscriptions.models import Subscription
from fodi.nexus.users.models import User

TABLE = cast(Table, Subscription.__table__)
COLUMNS = (*TABLE.c, Bot.code.label("bot_code"))


class Document(StrEnum):
    SETTINGS = "settings"
    STATE = "state"


def document_size(document: Any) -> int:
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode())


def check_size(document: Any, limit: int) -> None:
    size = document_size(document)
    if size > limit:
        raise PayloadTooLarge(f"The document is {size} bytes; the limit is {limit}")


def _select() -> Select[Any]:
    return select(*COLUMNS).join(Bot, Bot.id == TABLE.c.bot_id)


def reachable(statement: Select[Any], caller: Caller) -> Select[Any]:
    return statement if caller.is_admin else statement.where(TABLE.c.bot_id == caller.bot_id)


async def get(session: AsyncSession, subscription_id: str, caller: Caller) -> Mapping[Any, Any]:
    statement = reachable(_select().where(TABLE.c.id == subscription_id), caller)
    row: Mapping[Any, Any] | None = (await session.execute(statement)).mappings().first()
    if row is None:
        raise NotFound("Subscription not found")
    return row


async def get_for(
    session: AsyncSession, telegram_id: int, bot_code: str, caller: Caller
) -> Mapping[Any, Any]:
    statement = reachable(
        _select()
        .join(User, User.id == TABLE.c.user_id)
        .where(User.telegram_id == telegram_id, Bot.code == bot_code),
        caller,
    )
    row: Mapping[Any, Any] | None = (await session.execute(statement)).mappings().first()
    if row is None:
        raise NotFound("Subscription not found")
    return row


def list_query(
    caller: Caller,
    *,
    user_id: str | None = None,
    bot_code: str | None = None,
    telegram_id: int | None = None,
) -> Select[Any]:
    statement = _select().order_by(TABLE.c.installed_at, TABLE.c.id)
    if user_id is not None:
        statement = statement.where(TABLE.c.user_id == user_id)
    if bot_code is not None:
        statement = statement.where(Bot.code == bot_code)
    if telegram_id is not None:
        statement = statement.join(User, User.id == TABLE.c.user_id).where(
            User.telegram_id == telegram_id
        )
    return reachable(statement, caller)


async def rows(session: AsyncSession, statement: Select[Any]) -> Sequence[Mapping[Any, Any]]:
    found: Sequence[Mapping[Any, Any]] = (await session.execute(statement)).mappings().all()
    return found


async def for_user(
    session: AsyncSession, user_id: str, caller: Caller
) -> Sequence[tuple[Bot, Mapping[Any, Any]]]:
    subscriptions = await rows(session, list_query(caller, user_id=user_id))
    bot_ids = {row["bot_id"] for row in subscriptions}
    bots = {
        bot.id: bot
        for bot in (await session.execute(select(Bot).where(Bot.id.in_(bot_ids)))).scalars()
    }
    return [(bots[row["bot_id"]], row) for row in subscriptions]


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Subscription)


async def ensure(
    session: AsyncSession, user_id: str, bot_id: str, bot_code: str, now: datetime
) -> tuple[dict[str, Any], bool]:
    """Create the subscription if missing and touch ``last_interaction_at``, atomically."""
    statement = _insert(session).values(
        id=new_id(),
        user_id=user_id,
        bot_id=bot_id,
        installed_at=now,
        last_interaction_at=now,
        settings={},
        state={},
        version=1,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Subscription.user_id, Subscription.bot_id],
        set_={"last_interaction_at": statement.excluded.last_interaction_at},
    ).returning(*TABLE.c)
    row = dict((await session.execute(statement)).mappings().one())
    row["bot_code"] = bot_code
    return row, row["installed_at"] == now


async def create(
    session: AsyncSession,
    *,
    user_id: str,
    bot: Bot,
    settings: dict[str, Any],
    state: dict[str, Any],
) -> str:
    if await session.get(User, user_id) is None:
        raise NotFound("User not found")
    subscription = Subscription(user_id=user_id, bot_id=bot.id, settings=settings, state=state)
    session.add(subscription)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("The user is already subscribed to this bot") from exc
    return subscription.id


async def delete(session: AsyncSession, subscription_id: str, caller: Caller) -> None:
    await get(session, subscription_id, caller)
    await session.execute(TABLE.delete().where(TABLE.c.id == subscription_id))


def _merged(session: AsyncSession, column: ColumnElement[Any], patch: Mapping[Any, Any]) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.nexus_merge_patch(column, literal(dict(patch), JSONType), type_=JSONType)
    return func.json_patch(column, json.dumps(patch, ensure_ascii=False), type_=JSONType)


async def write(
    session: AsyncSession,
    subscription_id: str,
    caller: Caller,
    document: Document,
    body: Mapping[Any, Any],
    *,
    merge: bool,
    expected_version: int | None,
    max_bytes: int,
) -> Mapping[Any, Any]:
    """Merge-patch (``merge``) or replace one document in a single conditional UPDATE."""
    check_size(body, max_bytes)
    column = TABLE.c[document.value]
    new_value = _merged(session, column, body) if merge else literal(dict(body), JSONType)
    statement = update(TABLE).where(TABLE.c.id == subscription_id)
    if not caller.is_admin:
        statement = statement.where(TABLE.c.bot_id == caller.bot_id)
    if expected_version is not None:
        statement = statement.where(TABLE.c.version == expected_version)
    statement = statement.values(
        {
            column: new_value,
            TABLE.c.version: TABLE.c.version + 1,
            TABLE.c.last_interaction_at: utcnow(),
        }
    ).returning(TABLE.c.id, column)
    row = (await session.execute(statement)).first()
    if row is None:
        current = await get(session, subscription_id, caller)  # 404 if not there at all
        raise PreconditionFailed(
            f"Subscription is at version {current['version']}, not {expected_version}",
            headers={"ETag": etag(current["version"])},
        )
    # An oversized result is refused; raising leaves the transaction uncommitted.
    check_size(row[1], max_bytes)
    return await get(session, subscription_id, caller)


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match`` header asks for (None: no precondition or ``*``)."""
    if value is None or value.strip() == "*":
        return None
    tag = value.split(",")[0].strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise PreconditionFailed(f"If-Match {value!r} is not an ETag of this resource")
    return int(tag)
