"""The JSON contract of bots (the seed's field names, snake_case)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

CODE_PATTERN = r"^[a-z0-9][a-z0-9_\-]{0,99}$"


class BotCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN, examples=["youtube_downloader"])
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    version: str = Field(default="1.0.0", min_length=1, max_length=50)
    is_active: bool = True


class BotUpdate(BaseModel):
    """A partial update; a bot's own token may change only the webhook and descriptive fields."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    version: str | None = Field(default=None, min_length=1, max_length=50)
    is_active: bool | None = None
    webhook_url: str | None = Field(default=None, max_length=2000)
    rotate_webhook_secret: bool = False


ADMIN_ONLY_FIELDS = frozenset({"name", "is_active"})


class BotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    description: str | None
    version: str
    is_active: bool
    # The webhook is shown to the bot itself and to admins only.
    webhook_url: str | None
    webhook_secret: str | None = None
    created_at: datetime
