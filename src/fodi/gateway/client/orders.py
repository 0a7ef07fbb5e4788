"""Orders: a person's own, creation (idempotent), and the staff's list and status moves."""

from __future__ import annotations

import uuid
from typing import Any

from fodi.gateway.client.auth import _rows
from fodi.gateway.client.models import CreatedOrder, NewOrder, Order, RecentOrder, StatusUpdate
from fodi.gateway.client.transport import Transport


class OrdersClient:
    def __init__(self, transport: Transport, token: str | None) -> None:
        self._t = transport
        self._token = token

    async def get_orders(self) -> list[Order]:
        """The signed-in person's orders (all of them for staff)."""
        data = await self._t.request("GET", "/orders", token=self._token)
        return [Order.model_validate(row) for row in _rows(data, "orders")]

    async def get_recent_orders(self) -> list[Order]:
        data = await self._t.request("GET", "/orders/recent", token=self._token)
        return [Order.model_validate(row) for row in _rows(data, "orders")]

    async def get_order(self, order_id: str) -> Order:
        data = await self._t.request("GET", f"/orders/{order_id}", token=self._token)
        return Order.model_validate(data.get("order", data) if isinstance(data, dict) else data)

    async def create_order(
        self, order: NewOrder, *, idempotency_key: str | None = None
    ) -> CreatedOrder:
        """Place an order; retried safely because the backend deduplicates by the key."""
        key = idempotency_key or uuid.uuid4().hex
        data = await self._t.request(
            "POST",
            "/orders",
            token=self._token,
            json_body=order.model_dump(mode="json", by_alias=True, exclude_none=True),
            headers={"Idempotency-Key": key},
            retry=True,
        )
        return CreatedOrder.model_validate(data)

    async def update_order_status(self, order_id: str, status: str) -> StatusUpdate:
        """Move one's own order (a customer may cancel a pending one); staff per their role."""
        data = await self._t.request(
            "PATCH", f"/orders/{order_id}", token=self._token, json_body={"status": status}
        )
        return StatusUpdate.model_validate(data)

    async def cancel_order(self, order_id: str) -> StatusUpdate:
        return await self.update_order_status(order_id, "cancelled")

    async def get_all_orders_admin(
        self, *, status: str | None = None, page: int | None = None, limit: int | None = None
    ) -> list[Order]:
        params: dict[str, Any] = {
            key: value
            for key, value in (("status", status), ("page", page), ("limit", limit))
            if value is not None
        }
        data = await self._t.request("GET", "/admin/orders", token=self._token, params=params)
        return [Order.model_validate(row) for row in _rows(data, "orders")]

    async def get_recent_orders_admin(self) -> list[RecentOrder]:
        data = await self._t.request("GET", "/admin/orders/recent", token=self._token)
        return [RecentOrder.model_validate(row) for row in _rows(data, "orders")]

    async def update_order_status_admin(self, order_id: str, status: str) -> StatusUpdate:
        data = await self._t.request(
            "PUT",
            f"/admin/orders/{order_id}/status",
            token=self._token,
            json_body={"status": status},
        )
        return StatusUpdate.model_validate(data)
