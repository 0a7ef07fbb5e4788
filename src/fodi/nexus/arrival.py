"""``POST /users/from-telegram`` on PostgreSQL: one statement, one round trip.

The seed's main scenario is the hot path of every bot (each Telegram update it handles
starts with it), so on PostgreSQL it is a single statement::

    WITH bot AS (SELECT id FROM nexus_bots WHERE code = :code AND is_active),
         u   AS (INSERT INTO nexus_users ... SELECT ... FROM bot
                 ON CONFLICT (telegram_id) DO UPDATE SET <present profile fields>
                 RETURNING *),
         s   AS (INSERT INTO nexus_user_bots ... SELECT ... FROM u JOIN bot ON true
                 ON CONFLICT (user_id, bot_id) DO UPDATE SET last_interaction_at = ...
                 RETURNING *)
    SELECT u.*, s.* FROM u JOIN s ON s.user_id = u.id

run on an autocommit connection (:class:`HotPath`): one statement is one transaction, so it
is as atomic as the two-statement transaction it replaces, without the ``BEGIN``/``COMMIT``
round trips.
``INSERT ... ON CONFLICT`` keeps concurrent first messages of one person converging on one
user and one subscription. An unknown or inactive bot makes ``bot`` empty, so nothing is
written and no row comes back (404). The statement is built once per set of profile fields
present (at most 16) and only its parameters change per call.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import BigInteger, Select, String, Table, bindparam, literal, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from fodi.core.db import Database, JSONType, UTCDateTime, new_id, utcnow
from fodi.core.errors import NotFound
from fodi.nexus.bots.models import Bot
from fodi.nexus.flows import Arrival
from fodi.nexus.subscriptions.models import Subscription
from fodi.nexus.users.models import User
from fodi.nexus.users.schemas import FromTelegram
from fodi.nexus.users.service import PROFILE_FIELDS

USERS = cast(Table, User.__table__)
SUBSCRIPTIONS = cast(Table, Subscription.__table__)
BOTS = cast(Table, Bot.__table__)
USER_COLUMNS = tuple(column.name for column in USERS.c)
SUBSCRIPTION_COLUMNS = tuple(column.name for column in SUBSCRIPTIONS.c)


@lru_cache(maxsize=32)
def arrival_statement(present: frozenset[str]) -> Select[Any]:
    """The one statement for a body carrying the profile fields ``present``."""
    bot = (
        select(BOTS.c.id)
        .where(BOTS.c.code == bindparam("bot_code", type_=String), BOTS.c.is_active.is_(True))
        .cte("bot")
    )
    now = bindparam("now", type_=UTCDateTime())
    new_user = select(
        bindparam("user_id", type_=String),
        bindparam("telegram_id", type_=BigInteger),
        *(bindparam(field, type_=USERS.c[field].type) for field in PROFILE_FIELDS),
        now,
    ).select_from(bot)
    user_insert = insert(USERS).from_select(
        ["id", "telegram_id", *PROFILE_FIELDS, "created_at"], new_user
    )
    # DO UPDATE even without changes, so RETURNING always yields the row.
    changes = {field: user_insert.excluded[field] for field in sorted(present)} or {
        "telegram_id": user_insert.excluded.telegram_id
    }
    user = (
        user_insert.on_conflict_do_update(index_elements=[USERS.c.telegram_id], set_=changes)
        .returning(*USERS.c)
        .cte("u")
    )
    new_subscription = select(
        bindparam("subscription_id", type_=String),
        user.c.id,
        bot.c.id,
        now,
        now,
        literal({}, JSONType),
        literal({}, JSONType),
        literal(1),
    ).select_from(user.join(bot, true()))
    subscription_insert = insert(SUBSCRIPTIONS).from_select(
        [
            "id",
            "user_id",
            "bot_id",
            "installed_at",
            "last_interaction_at",
            "settings",
            "state",
            "version",
        ],
        new_subscription,
    )
    subscription = (
        subscription_insert.on_conflict_do_update(
            index_elements=[SUBSCRIPTIONS.c.user_id, SUBSCRIPTIONS.c.bot_id],
            set_={"last_interaction_at": subscription_insert.excluded.last_interaction_at},
        )
        .returning(*SUBSCRIPTIONS.c)
        .cte("s")
    )
    return select(
        *(user.c[name].label(f"u_{name}") for name in USER_COLUMNS),
        *(subscription.c[name].label(f"s_{name}") for name in SUBSCRIPTION_COLUMNS),
    ).select_from(user.join(subscription, subscription.c.user_id == user.c.id))


def arrival_parameters(data: FromTelegram) -> tuple[frozenset[str], dict[str, Any]]:
    """Which profile fields the body carries, and the statement's parameters."""
    present = frozenset(PROFILE_FIELDS).intersection(data.model_fields_set)
    profile: dict[str, Any] = {field: getattr(data, field) for field in PROFILE_FIELDS}
    if profile["first_name"] is None:
        profile["first_name"] = ""  # the column is required; "" as in the two-statement path
    parameters = {
        "bot_code": data.bot_code,
        "now": utcnow(),
        "user_id": new_id(),
        "telegram_id": data.telegram_id,
        "subscription_id": new_id(),
        **profile,
    }
    return present, parameters


async def in_session(session: AsyncSession, data: FromTelegram) -> Arrival:
    """The statement inside the caller's transaction (the caller commits)."""
    present, parameters = arrival_parameters(data)
    result = await session.execute(arrival_statement(present), parameters)
    return _arrival(result.mappings().first(), parameters, data.bot_code)


class HotPath:
    """An autocommit engine of this process for the one-statement arrival.

    The platform's engine pings every connection it hands out, and on PostgreSQL its ping
    is ``BEGIN; SELECT; ROLLBACK`` (three round trips, for pgbouncer's transaction mode),
    then the request pays ``BEGIN`` and ``COMMIT`` too. On an autocommit engine the ping is
    one round trip and the statement needs no transaction around it: two round trips in
    all, instead of eight before. Used only when the app's sessions run on the app's own
    engine (the test suite binds them to one rolled-back connection: ``in_session`` then).
    """

    def __init__(self, database: Database, pool_size: int = 10) -> None:
        bind = database.sessionmaker.kw.get("bind")
        self.usable = database.dialect == "postgresql" and bind is database.engine
        self._url = database.engine.url
        self._pool_size = pool_size
        self._engine: AsyncEngine | None = None

    def engine(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(
                self._url,
                isolation_level="AUTOCOMMIT",
                pool_size=self._pool_size,
                max_overflow=self._pool_size,
                pool_pre_ping=True,
            )
        return self._engine

    async def from_telegram(self, data: FromTelegram) -> Arrival:
        """One statement, its own transaction: upsert, subscribe, touch."""
        present, parameters = arrival_parameters(data)
        async with self.engine().connect() as connection:
            result = await connection.execute(arrival_statement(present), parameters)
            row = result.mappings().first()
        return _arrival(row, parameters, data.bot_code)

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def _arrival(
    row: Mapping[str, Any] | None, parameters: Mapping[str, Any], bot_code: str
) -> Arrival:
    if row is None:  # the bot is unknown or inactive: nothing was written
        raise NotFound(f"Unknown bot code {bot_code!r}, or the bot is not active")
    now = parameters["now"]
    user = {name: row[f"u_{name}"] for name in USER_COLUMNS}
    subscription = {name: row[f"s_{name}"] for name in SUBSCRIPTION_COLUMNS}
    subscription["bot_code"] = bot_code
    return Arrival(
        user=user,
        subscription=subscription,
        user_created=user["created_at"] == now,
        subscription_created=subscription["installed_at"] == now,
    )
