"""The JSON contract of the analytics API: the original shapes, plus understood and engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fodi.analytics.charts import ChartData


class HealthResponse(BaseModel):
    status: str
    timestamp: datetime
    database: str
    llm: str


class QueryRequest(BaseModel):
    question: str = Field(min_length=1, max_length=100_000)
    include_sql: bool = False
    include_analysis: bool = False
    use_cache: bool = False
    output_type: Literal["table", "chart", "json", "auto"] = "auto"
    # Accepted for the original clients; the signed-in user is who asks (never impersonated).
    user_id: str | None = Field(default=None, max_length=100)
    session_id: str | None = Field(default=None, max_length=100)


class QueryResponse(BaseModel):
    question: str
    sql: str | None = None
    data: list[dict[str, Any]]
    row_count: int
    execution_time_ms: int
    chart_data: ChartData | None = None
    text_response: str | None = None
    table: str | None = None
    cached: bool = False
    understood: bool
    engine: str
    suggested_questions: list[str] = []
    interpretation: dict[str, Any] | None = None
    truncated: bool = False
    error: str | None = None


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, max_length=100_000)
    session_id: str | None = Field(default=None, max_length=100)
    user_id: str | None = Field(default=None, max_length=100)


class ChatResponse(BaseModel):
    message: str
    session_id: str
    response_time_ms: int
    understood: bool
    data: list[dict[str, Any]] = []
    sql: str | None = None


class ClearContextRequest(BaseModel):
    user_id: str | None = Field(default=None, max_length=100)


class ClearContextResponse(BaseModel):
    success: bool
    message: str


class QueryLogEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    question: str
    generated_sql: str
    engine: str
    understood: bool
    success: bool
    error_message: str | None
    row_count: int
    execution_time_ms: int
    created_at: datetime


class ExampleIn(BaseModel):
    question: str = Field(min_length=3, max_length=2000)
    sql: str = Field(min_length=6, max_length=20_000)


class ExampleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    question: str
    sql: str
    created_by: str
    created_at: datetime
    updated_at: datetime
