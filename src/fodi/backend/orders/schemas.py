"""The orders contract: CreateOrder, Order (with items and user), the admin status answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from fodi.backend.schemas import ApiInput, ApiModel

# A hard ceiling the parser enforces before any setting-based limit is checked.
MAX_LINES_PARSED = 1000


class OrderLineIn(ApiInput):
    product_id: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0, le=1_000_000)
    # The original client sent a price and the server trusted it; it is accepted, then ignored.
    price: float | None = None


class OrderIn(ApiInput):
    name: str = Field(max_length=100)
    phone: str = Field(max_length=40)
    address: str = Field(max_length=500)
    comment: str | None = Field(default=None, max_length=1000)
    items: list[OrderLineIn] = Field(max_length=MAX_LINES_PARSED)


class OrderCreated(ApiModel):
    message: str
    order_id: str
    total: float
    status: str


class ProductRef(BaseModel):
    id: str | None
    name: str


class OrderItemOut(ApiModel):
    id: str
    order_id: str
    product_id: str | None
    quantity: int
    price: float
    product: ProductRef


class OrderUser(BaseModel):
    id: str
    name: str
    email: str


class OrderOut(ApiModel):
    id: str
    user_id: str | None
    name: str
    status: str
    total: float
    address: str
    phone: str
    comment: str | None
    created_at: datetime
    updated_at: datetime
    items: list[OrderItemOut]
    user: OrderUser | None


class OrdersOut(BaseModel):
    orders: list[OrderOut]


class UserOrderOut(ApiModel):
    """``GET /user/orders``: the fields the original intended (it always answered 401)."""

    id: str
    status: str
    total: float
    address: str
    phone: str
    comment: str | None
    created_at: datetime


class UserOrdersOut(BaseModel):
    orders: list[UserOrderOut]


class RecentOrderOut(ApiModel):
    """``GET /admin/orders/recent``: a bare array of these, as the original."""

    id: str
    user_email: str | None
    status: str
    total: float
    created_at: datetime


class StatusIn(BaseModel):
    status: str = Field(max_length=32)


class OrderUpdateIn(ApiInput):
    status: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: str | None = Field(default=None, min_length=1, max_length=40)
    address: str | None = Field(default=None, min_length=1, max_length=500)
    comment: str | None = Field(default=None, max_length=1000)


class StatusChanged(BaseModel):
    message: str
    status: str
    order: OrderOut
