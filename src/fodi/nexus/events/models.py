"""Events between bots: what to deliver to whom and when, and how delivery went."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, new_id, utcnow


class EventStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class Event(Base):
    __tablename__ = "nexus_events"
    # The dispatcher's claim query: due pending events in schedule order.
    __table_args__ = (Index("ix_nexus_events_status_scheduled_at", "status", "scheduled_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workflow_id: Mapped[str | None] = mapped_column(
        ForeignKey("nexus_workflows.id", ondelete="SET NULL"), index=True
    )
    bot_id: Mapped[str] = mapped_column(ForeignKey("nexus_bots.id", ondelete="CASCADE"), index=True)
    source_bot_id: Mapped[str | None] = mapped_column(
        ForeignKey("nexus_bots.id", ondelete="SET NULL")
    )
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("nexus_users.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A repeating event: when one occurrence is done, the next is scheduled from this.
    cron: Mapped[str | None] = mapped_column(String(120))
    scheduled_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Claimed (or backing off) until then; a claim also gets a fresh token so only its
    # holder can complete it.
    lease_until: Mapped[datetime | None] = mapped_column()
    lease_token: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
