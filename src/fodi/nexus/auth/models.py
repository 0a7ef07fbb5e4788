"""Service tokens: one or more per bot, or admin tokens; only their SHA-256 digest is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, new_id, utcnow


class ServiceToken(Base):
    __tablename__ = "nexus_service_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    bot_id: Mapped[str | None] = mapped_column(
        ForeignKey("nexus_bots.id", ondelete="CASCADE"), index=True
    )
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()
