"""FodiFood orders → payments, read through the backend's admin API.

``GET {backend}/api/admin/orders`` (paginated with ``limit``/``offset``) with an admin JWT
minted from the shared ``JWT_SECRET``.  Each order becomes one payment with external id
``fodi_order:<id>``: delivered/confirmed/preparing/ready orders are succeeded, cancelled ones
canceled, pending ones pending; the total (major units, the backend's currency from
``ANALYTICS__ORDERS_CURRENCY``) converted exactly.  Re-running updates the status and amount of
orders already synced, so an order that was delivered since the last run counts as revenue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.analytics.config import AnalyticsSettings
from fodi.analytics.importer import parse_time
from fodi.analytics.models import Payment
from fodi.analytics.money import to_minor
from fodi.analytics.store import PaymentRow, PaymentWriter
from fodi.core.security import TokenClaims, TokenCodec

ORDER_STATUS = {
    "pending": "pending",
    "confirmed": "succeeded",
    "preparing": "succeeded",
    "ready": "succeeded",
    "delivering": "succeeded",
    "delivered": "succeeded",
    "completed": "succeeded",
    "cancelled": "canceled",
    "canceled": "canceled",
}
PAGE = 200


class SyncError(RuntimeError):
    """The backend could not be read (unreachable, refused the token, odd answer)."""


@dataclass(slots=True)
class SyncReport:
    orders: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: int = 0


def admin_token(jwt_secret: str) -> str:
    """A short-lived admin token for the analytics service itself."""
    codec = TokenCodec(jwt_secret, ttl_seconds=int(timedelta(minutes=10).total_seconds()))
    claims = TokenClaims(user_id="analytics-sync", email="analytics@fodifood.local", role="admin")
    return codec.issue(claims)


async def fetch_orders(client: httpx.AsyncClient, token: str) -> list[dict[str, Any]]:
    orders: list[dict[str, Any]] = []
    offset = 0
    while True:
        try:
            response = await client.get(
                "/api/admin/orders",
                params={"limit": PAGE, "offset": offset},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError as exc:
            raise SyncError(f"the backend is unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise SyncError(f"the backend answered HTTP {response.status_code}")
        body = response.json()
        page = body.get("orders") if isinstance(body, dict) else body
        if not isinstance(page, list):
            raise SyncError("the backend's answer has no orders list")
        orders.extend(o for o in page if isinstance(o, dict))
        total = response.headers.get("X-Total-Count")
        offset += len(page)
        if len(page) < PAGE or (total is not None and offset >= int(total)) or not page:
            return orders


def order_to_row(order: dict[str, Any], settings: AnalyticsSettings) -> PaymentRow | None:
    status = ORDER_STATUS.get(str(order.get("status", "")).lower())
    if status is None or not order.get("id") or order.get("createdAt") is None:
        return None
    currency = settings.orders_currency
    amount = to_minor(Decimal(str(order.get("total", "0"))), currency)
    user = order.get("user") if isinstance(order.get("user"), dict) else {}
    customer_id = order.get("userId") or (user or {}).get("id") or None
    items = order.get("items") if isinstance(order.get("items"), list) else []
    return (
        str(uuid.uuid4()),
        f"fodi_order:{order['id']}",
        parse_time(str(order["createdAt"])),
        amount,
        0,
        currency,
        status,
        customer_id or None,
        (user or {}).get("email") or None,
        None,
        None,
        settings.orders_location,
        f"FodiFood order with {len(items or [])} item(s)",
        0,
        {"source": "fodifood", "order_status": str(order.get("status"))},
        str(order["id"]),
        "orders",
    )


async def sync_orders(
    session: AsyncSession,
    client: httpx.AsyncClient,
    settings: AnalyticsSettings,
    jwt_secret: str,
) -> SyncReport:
    orders = await fetch_orders(client, admin_token(jwt_secret))
    report = SyncReport(orders=len(orders))
    rows = [row for order in orders if (row := order_to_row(order, settings)) is not None]
    report.skipped = len(orders) - len(rows)
    known = {
        external_id: (status, amount)
        for external_id, status, amount in (
            await session.execute(
                select(Payment.external_id, Payment.status, Payment.amount).where(
                    Payment.source == "orders"
                )
            )
        ).all()
    }
    new_rows = [row for row in rows if row[1] not in known]
    for row in rows:
        previous = known.get(row[1])
        if previous is not None and previous != (row[6], row[3]):
            await session.execute(
                update(Payment)
                .where(Payment.external_id == row[1])
                .values(status=row[6], amount=row[3])
            )
            report.updated += 1
    writer = PaymentWriter(session)
    await writer.add(new_rows)
    report.inserted = await writer.finish()
    await session.commit()
    return report
