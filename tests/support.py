"""Helpers for tests (import them; fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from fodi.core.db import Database, create_engine
from fodi.core.security import TokenClaims, TokenCodec

TEST_JWT_SECRET = "test-secret-for-the-suite-only-0123456789"


def asgi_client(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    """An httpx client speaking to ``app`` in-process (no lifespan; the fixtures own the DB)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
        headers=headers,
    )


def bearer(user_id: str, role: str = "user", email: str = "someone@example.com") -> dict[str, str]:
    """An Authorization header with a token the test settings accept."""
    token = TokenCodec(TEST_JWT_SECRET).issue(TokenClaims(user_id=user_id, email=email, role=role))
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def rolled_back(engine: AsyncEngine) -> AsyncIterator[Database]:
    """A Database whose sessions all live in one transaction, rolled back at the end.

    Code under test may commit: its commits release savepoints, never the outer transaction.
    """
    async with engine.connect() as connection:
        transaction = await connection.begin()
        database = Database(engine)
        database.sessionmaker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield database
        finally:
            if transaction.is_active:
                await transaction.rollback()


@asynccontextmanager
async def rolled_back_url(url: str) -> AsyncIterator[Database]:
    """:func:`rolled_back` on an engine of its own (for code that runs its own event loop,
    such as a hypothesis example)."""
    engine = create_engine(url)
    try:
        async with rolled_back(engine) as database:
            yield database
    finally:
        await engine.dispose()
