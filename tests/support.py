"""Helpers for tests (import them; fixtures live in conftest.py)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

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
