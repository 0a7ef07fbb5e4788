"""``GET /admin/stats``: the Go fields, the front end's ``totalRevenue``, the bot's extras."""

from __future__ import annotations

from pydantic import BaseModel, Field


class PopularProduct(BaseModel):
    productId: str | None  # noqa: N815 (the contract's name)
    name: str
    quantity: int
    revenue: float


class StatsOut(BaseModel):
    totalUsers: int  # noqa: N815
    totalOrders: int  # noqa: N815
    totalProducts: int  # noqa: N815
    revenue: float
    totalRevenue: float  # noqa: N815
    today_orders: int
    today_revenue: float
    popular_products: list[PopularProduct] = Field(default_factory=list)
