"""Nodes of the network and the POS terminals whitelisted for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, utcnow


class FranchiseNode(Base):
    __tablename__ = "franchise_nodes"

    node_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_address: Mapped[str] = mapped_column(String(128))
    node_type: Mapped[str] = mapped_column(String(16))  # OWNER | FRANCHISE
    city: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)


class FranchisePos(Base):
    """A whitelisted POS terminal; ``node_id`` NULL means any node (the original's global list)."""

    __tablename__ = "franchise_pos"

    pos_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    node_id: Mapped[int | None] = mapped_column(
        ForeignKey("franchise_nodes.node_id"), nullable=True, index=True
    )
    whitelisted_at: Mapped[datetime] = mapped_column(default=utcnow)
