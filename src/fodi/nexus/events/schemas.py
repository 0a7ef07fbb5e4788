"""The JSON contract of events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

TYPE_PATTERN = r"^[A-Za-z0-9_.:\-]{1,100}$"


class EventCreate(BaseModel):
    """``bot_code`` is the target; the emitter is the calling bot."""

    model_config = ConfigDict(extra="forbid")

    bot_code: str = Field(min_length=1, max_length=100)
    type: str = Field(pattern=TYPE_PATTERN)
    payload: dict[str, Any] = Field(default_factory=dict)
    user_id: str | None = Field(default=None, max_length=36)
    scheduled_at: AwareDatetime | None = None
    cron: str | None = Field(default=None, max_length=120)


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    bot_id: str
    bot_code: str | None = None
    source_bot_id: str | None
    user_id: str | None
    workflow_id: str | None
    type: str = Field(validation_alias="event_type")
    payload: dict[str, Any]
    cron: str | None
    scheduled_at: datetime
    processed_at: datetime | None
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime


class EmittedEvent(EventRead):
    # Events that this one triggered through the user's workflows.
    triggered: list[str] = Field(default_factory=list)


class PulledEvent(BaseModel):
    """An event handed to a pulling bot; ack it before ``lease_until`` or it comes back."""

    id: str
    type: str
    payload: dict[str, Any]
    user_id: str | None
    workflow_id: str | None
    scheduled_at: datetime
    attempt: int
    lease_until: datetime


class Nack(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error: str = Field(default="rejected by the bot", max_length=2000)
