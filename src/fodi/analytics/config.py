"""The analytics service's settings section (environment: ``ANALYTICS__NAME``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from fodi.core.sections import ServiceSection


class AnalyticsSettings(ServiceSection):
    port: int = 8200
    # Which engine turns questions into SQL: the offline parser, the configured LLM
    # (LLM_PROVIDER), or "auto" (offline first, the LLM for what the parser does not understand).
    engine: Literal["offline", "llm", "auto"] = "auto"
    # Every statement runs with these bounds (guard layers 3 and 4).
    max_rows: int = Field(default=1000, ge=1, le=1000)
    statement_timeout_ms: int = Field(default=5000, ge=10, le=120_000)
    # PostgreSQL memory for one query's sorts and hash tables (SET LOCAL work_mem): distinct
    # customers per month over a year are ~200k (month, customer) pairs per 400k rows, which
    # spill to disk at the server's default of 4 MB and fit in memory at 32 MB.
    work_mem_mb: int = Field(default=32, ge=1, le=1024)
    # The PostgreSQL role queries run as (the migration creates it: SELECT on the payments data).
    reader_role: str = Field(default="fodi_analytics_reader", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    # Per-user token bucket for /api/query and /api/chat (in-process, per worker).
    rate_limit_per_minute: float = Field(default=60.0, gt=0)
    rate_limit_burst: int = Field(default=20, ge=1)
    max_question_chars: int = Field(default=2000, ge=10, le=100_000)
    # `fodi analytics sync-orders`: where the backend is (its base URL, without /api) and what
    # currency its order totals are in (the backend has no currency field).
    backend_url: str = "http://127.0.0.1:3000"
    orders_currency: str = Field(default="KGS", pattern=r"^[A-Z]{3}$")
    orders_location: str = "FodiFood"
    # Answers cached per SQL when a request asks for it (use_cache), this long.
    cache_ttl_seconds: float = Field(default=300.0, ge=0)
