"""Workflows: a user's event-triggered steps between bots, and their history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, new_id, utcnow


class WorkflowStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    FINISHED = "finished"
    FAILED = "failed"


class Workflow(Base):
    __tablename__ = "nexus_workflows"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("nexus_users.id", ondelete="CASCADE"), index=True
    )
    # The bot whose token created it (None: an admin); that bot alone may manage it.
    owner_bot_id: Mapped[str | None] = mapped_column(
        ForeignKey("nexus_bots.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=WorkflowStatus.ACTIVE)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkflowHistory(Base):
    __tablename__ = "nexus_workflow_history"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    workflow_id: Mapped[str] = mapped_column(
        ForeignKey("nexus_workflows.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
