"""Service tokens: issue, authenticate, revoke. Only SHA-256 digests are stored."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import utcnow
from fodi.core.errors import BadRequest, Forbidden, NotFound, Unauthorized
from fodi.core.security import new_api_token, token_digest
from fodi.nexus.auth.models import ServiceToken
from fodi.nexus.bots.models import Bot

TOKEN_PREFIX = "nxs"  # noqa: S105 (a label, not a secret)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: an admin, or one bot (whose token reaches only its own data)."""

    token_id: str
    is_admin: bool
    bot_id: str | None = None
    bot_code: str | None = None

    def can_reach_bot(self, bot_id: str) -> bool:
        return self.is_admin or self.bot_id == bot_id

    def require_admin(self) -> None:
        if not self.is_admin:
            raise Forbidden("Admin token required")

    def require_bot(self, bot_id: str) -> None:
        if not self.can_reach_bot(bot_id):
            raise Forbidden("This token belongs to another bot")


class CallerCache:
    """Digest -> caller for ``ttl`` seconds, so most requests skip the token look-up.

    Revocation, and deactivating or deleting a bot, clear this process's cache at once
    (:func:`forget_callers`); other server processes notice within ``ttl`` seconds, as
    the franchise service's key cache does. Only successes are cached.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Caller]] = {}

    def get(self, digest: str, ttl: float) -> Caller | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if time.monotonic() - entry[0] >= ttl:
            self._entries.pop(digest, None)
            return None
        return entry[1]

    def put(self, digest: str, caller: Caller) -> None:
        if len(self._entries) >= 10_000:  # bounded: stale entries go first
            self._entries.clear()
        self._entries[digest] = (time.monotonic(), caller)

    def clear(self) -> None:
        self._entries.clear()


CALLERS = CallerCache()


def forget_callers() -> None:
    """Drop this process's cached callers (after a revocation or a bot change)."""
    CALLERS.clear()


async def authenticate(session: AsyncSession, token: str, *, cache_seconds: float = 0.0) -> Caller:
    digest = token_digest(token)
    if cache_seconds > 0:
        cached = CALLERS.get(digest, cache_seconds)
        if cached is not None:
            return cached
    caller = await _look_up(session, digest)
    if cache_seconds > 0:
        CALLERS.put(digest, caller)
    return caller


async def _look_up(session: AsyncSession, digest: str) -> Caller:
    statement = (
        select(ServiceToken.id, ServiceToken.is_admin, Bot.id, Bot.code, Bot.is_active)
        .outerjoin(Bot, Bot.id == ServiceToken.bot_id)
        .where(ServiceToken.digest == digest, ServiceToken.revoked_at.is_(None))
    )
    row = (await session.execute(statement)).first()
    if row is None:
        raise Unauthorized("Invalid credentials")
    token_id, is_admin, bot_id, bot_code, bot_active = row
    if is_admin:
        return Caller(token_id=token_id, is_admin=True)
    if bot_id is None or not bot_active:
        raise Unauthorized("Invalid credentials")
    return Caller(token_id=token_id, is_admin=False, bot_id=bot_id, bot_code=bot_code)


async def issue_token(
    session: AsyncSession, *, bot_code: str | None, admin: bool, name: str | None = None
) -> tuple[ServiceToken, str]:
    """A new token (the row, and the plaintext shown exactly once)."""
    if admin == (bot_code is not None):
        raise BadRequest("a token is either for one bot (--bot CODE) or an admin token (--admin)")
    bot_id = None
    if bot_code is not None:
        bot = (await session.execute(select(Bot).where(Bot.code == bot_code))).scalar_one_or_none()
        if bot is None:
            raise NotFound(f"Unknown bot code {bot_code!r}")
        bot_id = bot.id
    plaintext = new_api_token(TOKEN_PREFIX)
    row = ServiceToken(
        name=name or ("admin" if admin else f"bot:{bot_code}"),
        digest=token_digest(plaintext),
        bot_id=bot_id,
        is_admin=admin,
    )
    session.add(row)
    await session.flush()
    return row, plaintext


async def revoke_tokens(
    session: AsyncSession,
    *,
    token_id: str | None = None,
    token: str | None = None,
    bot_code: str | None = None,
) -> int:
    """Revoke one token (by id or plaintext) or every token of a bot; the number revoked."""
    statement = update(ServiceToken).where(ServiceToken.revoked_at.is_(None))
    if token_id is not None:
        statement = statement.where(ServiceToken.id == token_id)
    elif token is not None:
        statement = statement.where(ServiceToken.digest == token_digest(token))
    elif bot_code is not None:
        bot_ids = select(Bot.id).where(Bot.code == bot_code).scalar_subquery()
        statement = statement.where(ServiceToken.bot_id == bot_ids)
    else:
        raise BadRequest("say which token to revoke: --id, --token or --bot")
    result = await session.execute(statement.values(revoked_at=utcnow()))
    forget_callers()
    return int(result.rowcount)  # type: ignore[attr-defined]


async def list_tokens(session: AsyncSession) -> list[tuple[ServiceToken, str | None]]:
    statement = (
        select(ServiceToken, Bot.code)
        .outerjoin(Bot, Bot.id == ServiceToken.bot_id)
        .order_by(ServiceToken.created_at)
    )
    return [(token, code) for token, code in (await session.execute(statement)).all()]
