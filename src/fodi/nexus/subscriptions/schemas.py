"""The JSON contract of subscriptions (the seed's ``user_bots``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from fodi.nexus.bots.schemas import BotRead


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=36)
    bot_code: str = Field(min_length=1, max_length=100)
    settings: dict[str, Any] = Field(default_factory=dict)
    state: dict[str, Any] = Field(default_factory=dict)


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    bot_id: str
    bot_code: str
    installed_at: datetime
    settings: dict[str, Any]
    state: dict[str, Any]
    version: int
    last_interaction_at: datetime


class UserBot(BaseModel):
    """One entry of ``GET /users/{id}/bots``: the bot and the user's subscription to it."""

    bot: BotRead
    subscription: SubscriptionRead
