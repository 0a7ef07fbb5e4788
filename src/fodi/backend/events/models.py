"""The outbox: domain events written in the same transaction as the change they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from fodi.backend.inventory.models import AutoId
from fodi.core.db import Base, utcnow


class OutboxEvent(Base):
    __tablename__ = "backend_outbox"

    # Monotonic: the SSE id.  Writers take a transaction lock before inserting (PostgreSQL),
    # so ids become visible in order and a reader resuming after id N misses nothing.
    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
