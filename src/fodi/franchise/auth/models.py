"""API keys of POS terminals, administrators and other roles (only digests are stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, new_id, utcnow


class FranchiseApiKey(Base):
    __tablename__ = "franchise_api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    pos_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # The node a FranchiseOwner key acts for (NULL for every other role).
    node_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("franchise_nodes.node_id"), nullable=True
    )
    label: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
