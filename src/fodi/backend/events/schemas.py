"""The event envelope served on ``GET /api/events`` (also each SSE message's ``data``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class EventEnvelope(BaseModel):
    id: int
    type: str
    createdAt: str  # noqa: N815 (the contract's name)
    data: dict[str, Any]


ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"
STOCK_LOW = "stock.low"
