"""The JSON contract of users (the seed's snake_case names)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

# Telegram ids are positive and fit in 52 bits today; BIGINT is the column's limit.
TelegramId = Field(gt=0, le=2**63 - 1)


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    telegram_id: int = TelegramId
    username: str | None = Field(default=None, max_length=64)
    first_name: str = Field(max_length=256)
    last_name: str | None = Field(default=None, max_length=256)
    language_code: str | None = Field(default=None, max_length=35)


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(default=None, max_length=64)
    first_name: str | None = Field(default=None, max_length=256)
    last_name: str | None = Field(default=None, max_length=256)
    language_code: str | None = Field(default=None, max_length=35)


class FromTelegram(BaseModel):
    """The seed's main scenario body. Profile fields left out are kept as they are; an
    explicit ``null`` clears them (``first_name`` defaults to "" for a brand-new user)."""

    telegram_id: int = TelegramId
    username: str | None = Field(default=None, max_length=64)
    first_name: str | None = Field(default=None, max_length=256)
    last_name: str | None = Field(default=None, max_length=256)
    language_code: str | None = Field(default=None, max_length=35)
    bot_code: str = Field(min_length=1, max_length=100)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    telegram_id: int
    username: str | None
    first_name: str
    last_name: str | None
    language_code: str | None
    created_at: datetime
