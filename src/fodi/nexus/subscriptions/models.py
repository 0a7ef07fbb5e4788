"""Which user uses which bot, with its settings and state (the seed's ``user_bots``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, new_id, utcnow


class Subscription(Base):
    __tablename__ = "nexus_user_bots"
    __table_args__ = (UniqueConstraint("user_id", "bot_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("nexus_users.id", ondelete="CASCADE"))
    bot_id: Mapped[str] = mapped_column(ForeignKey("nexus_bots.id", ondelete="CASCADE"), index=True)
    installed_at: Mapped[datetime] = mapped_column(default=utcnow)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Bumped by every write; the ETag of the subscription (optimistic concurrency).
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_interaction_at: Mapped[datetime] = mapped_column(default=utcnow)
