"""The JSON contract of workflows and the shape of their definition.

A definition is a list of steps, each "when bot X emits event T, schedule these events":

    {"steps": [{"name": "report-after-done",
                "on": {"bot": "reminder", "type": "done"},
                "then": [{"bot": "youtube_downloader", "type": "report",
                          "delay_seconds": 600, "payload": {"format": "short"}}],
                "finish": false}],
     "start": [{"bot": "reminder", "type": "tick", "cron": "0 9 * * *"}]}

``start`` events are scheduled when the workflow is created; a step with ``finish`` ends
the workflow once it has fired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fodi.nexus.events.schemas import TYPE_PATTERN
from fodi.nexus.workflows.models import WorkflowStatus

ONE_YEAR = 366 * 24 * 3600


class Trigger(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bot: str = Field(min_length=1, max_length=100)
    type: str = Field(pattern=TYPE_PATTERN)


class Action(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bot: str = Field(min_length=1, max_length=100)
    type: str = Field(pattern=TYPE_PATTERN)
    payload: dict[str, Any] = Field(default_factory=dict)
    delay_seconds: float = Field(default=0, ge=0, le=ONE_YEAR)
    cron: str | None = Field(default=None, max_length=120)


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=100)
    on: Trigger
    then: list[Action] = Field(min_length=1, max_length=20)
    finish: bool = False


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[Step] = Field(default_factory=list, max_length=50)
    start: list[Action] = Field(default_factory=list, max_length=20)


class WorkflowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=36)
    name: str = Field(min_length=1, max_length=200)
    definition: Definition


class WorkflowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    status: Literal["active", "paused", "finished"] | None = None


class WorkflowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    owner_bot_id: str | None
    name: str
    status: WorkflowStatus
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class HistoryEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    at: datetime
    kind: str
    detail: dict[str, Any]
