"""FastAPI dependencies shared by every service: settings, sessions, the caller's identity.

Dependencies are ``async def`` even when they do not await: FastAPI runs a plain ``def``
dependency in a worker thread, a thread hop per dependency and request that cost more than
the work itself (three of them were a noticeable share of an order's CPU).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.core.db import Database
from fodi.core.errors import Forbidden
from fodi.core.security import TokenClaims, TokenCodec, bearer_token
from fodi.core.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def token_codec_of(request: Request) -> TokenCodec:
    codec: TokenCodec = request.app.state.tokens
    return codec


async def get_token_codec(request: Request) -> TokenCodec:
    return token_codec_of(request)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for this request; the handler commits, the session closes after the response."""
    async with get_database(request).session() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AuthorizationHeader = Annotated[str | None, Header(include_in_schema=False)]


async def current_claims(
    codec: Annotated[TokenCodec, Depends(get_token_codec)],
    authorization: AuthorizationHeader = None,
) -> TokenClaims:
    """The signed-in person (401 with the original's messages otherwise)."""
    return codec.verify(bearer_token(authorization))


async def optional_claims(
    codec: Annotated[TokenCodec, Depends(get_token_codec)],
    authorization: AuthorizationHeader = None,
) -> TokenClaims | None:
    """The signed-in person, or None for a guest; a present but bad token is still a 401."""
    if not authorization:
        return None
    return codec.verify(bearer_token(authorization))


ClaimsDep = Annotated[TokenClaims, Depends(current_claims)]
OptionalClaimsDep = Annotated[TokenClaims | None, Depends(optional_claims)]


def require_roles(
    *roles: str, message: str = "Insufficient role"
) -> Callable[..., Coroutine[Any, Any, TokenClaims]]:
    allowed = frozenset(roles)

    async def dependency(claims: ClaimsDep) -> TokenClaims:
        if claims.role not in allowed:
            raise Forbidden(message)
        return claims

    return dependency


AdminDep = Annotated[TokenClaims, Depends(require_roles("admin", message="Admin access required"))]
