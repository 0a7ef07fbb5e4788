"""Telegram users: CRUD, look-up by telegram id, and the atomic upsert."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import new_id
from fodi.core.errors import Conflict, NotFound
from fodi.nexus.auth.service import Caller
from fodi.nexus.subscriptions.models import Subscription
from fodi.nexus.users.models import User
from fodi.nexus.users.schemas import UserCreate, UserUpdate

PROFILE_FIELDS = ("username", "first_name", "last_name", "language_code")


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(User)


async def upsert(
    session: AsyncSession, telegram_id: int, profile: Mapping[str, str | None], now: datetime
) -> tuple[Mapping[Any, Any], bool]:
    """Insert or update the user in one statement; (the user's row, created?).

    ``INSERT ... ON CONFLICT (telegram_id) DO UPDATE`` is atomic on both engines, so two
    concurrent first messages of one person make one user. Only the profile fields present
    in ``profile`` are overwritten. Whether the row is new is read off ``created_at``: only
    an insert stores this call's ``now``.
    """
    values = {
        "id": new_id(),
        "telegram_id": telegram_id,
        "first_name": "",
        "created_at": now,
        **profile,
    }
    statement = _insert(session).values(**values)
    changes = {field: statement.excluded[field] for field in profile}
    # DO UPDATE even without changes, so RETURNING always yields the row.
    changes = changes or {"telegram_id": statement.excluded.telegram_id}
    statement = statement.on_conflict_do_update(
        index_elements=[User.telegram_id], set_=changes
    ).returning(*User.__table__.c)
    row = (await session.execute(statement)).mappings().one()
    return row, bool(row["created_at"] == now)


def reachable(statement: Select[Any], caller: Caller) -> Select[Any]:
    """Restrict a user query to what the caller may see: a bot sees its own subscribers."""
    if caller.is_admin:
        return statement
    subscribed = exists().where(
        Subscription.user_id == User.id, Subscription.bot_id == caller.bot_id
    )
    return statement.where(subscribed)


async def get(session: AsyncSession, user_id: str, caller: Caller) -> User:
    statement = reachable(select(User).where(User.id == user_id), caller)
    user: User | None = (await session.execute(statement)).scalar_one_or_none()
    if user is None:
        raise NotFound("User not found")
    return user


async def get_by_telegram(session: AsyncSession, telegram_id: int, caller: Caller) -> User:
    statement = reachable(select(User).where(User.telegram_id == telegram_id), caller)
    user: User | None = (await session.execute(statement)).scalar_one_or_none()
    if user is None:
        raise NotFound("User not found")
    return user


def list_query(
    caller: Caller, *, telegram_id: int | None = None, username: str | None = None
) -> Select[Any]:
    statement = select(User).order_by(User.created_at, User.id)
    if telegram_id is not None:
        statement = statement.where(User.telegram_id == telegram_id)
    if username is not None:
        statement = statement.where(User.username == username)
    return reachable(statement, caller)


async def create(session: AsyncSession, data: UserCreate) -> User:
    user = User(**data.model_dump())
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A user with telegram_id {data.telegram_id} already exists") from exc
    return user


async def update(session: AsyncSession, user: User, data: UserUpdate) -> User:
    for field, value in data.model_dump(exclude_unset=True).items():
        if field == "first_name" and value is None:
            continue  # first_name is required by the schema of the seed
        setattr(user, field, value)
    await session.flush()
    return user


async def delete(session: AsyncSession, user: User) -> None:
    await session.delete(user)
    await session.flush()
