"""Control endpoints (placeholder until the supervisor issue lands)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

router = APIRouter()


@asynccontextmanager
async def supervisor_lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Starts the supervisor with the gateway and stops every program with it."""
    yield
