"""The backend's JSON contract as the bot sees it (seed-contracts §1.4), typed.

Field names are the original camelCase ones; Python code reads them in snake_case.  Money is
``Decimal`` (serialised back to JSON numbers, as the original shows prices); ids are strings
(the original's Rust client assumed integers in places, the backend uses UUIDs).  Unknown fields
are ignored so that a newer backend does not break an older bot.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer
from pydantic.alias_generators import to_camel

Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Id = Annotated[str, BeforeValidator(lambda value: str(value) if isinstance(value, int) else value)]


class Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=False
    )

    def to_json(self) -> dict[str, Any]:
        """The original wire shape (camelCase, money as numbers)."""
        return self.model_dump(mode="json", by_alias=True)


class UserInfo(Model):
    id: Id
    email: str
    name: str | None = None
    role: str = "user"
    created_at: datetime | None = None


class LoginResponse(Model):
    token: str
    user: UserInfo


class VerifyResult(BaseModel):
    """``POST /auth/verify``: always an answer, ``valid`` false for any bad token."""

    model_config = ConfigDict(extra="ignore")

    valid: bool
    user_id: str | None = Field(default=None, validation_alias=AliasChoices("user_id", "userId"))
    role: str | None = None
    name: str | None = None
    email: str | None = None


class ProfileOrder(Model):
    id: Id
    status: str
    total: Money
    created_at: datetime | None = None


class UserProfile(Model):
    id: Id
    email: str
    name: str | None = None
    role: str = "user"
    created_at: datetime | None = None
    orders: list[ProfileOrder] = []


class RecipeLine(Model):
    ingredient_id: Id | None = None
    ingredient_name: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None


class Product(Model):
    id: Id
    name: str
    description: str | None = None
    price: Money
    image_url: str | None = None
    weight: str | None = None
    category: str | None = None
    is_visible: bool | None = None
    created_at: datetime | None = None
    ingredients: list[RecipeLine] = []


class ProductInfo(Model):
    """The gateway's own product shape (``/api/v1/products``)."""

    id: Id
    name: str
    price: Money
    description: str | None = None
    image_url: str | None = None
    category: str | None = None

    @classmethod
    def of(cls, product: Product) -> ProductInfo:
        return cls(
            id=product.id,
            name=product.name,
            price=product.price,
            description=product.description,
            image_url=product.image_url,
            category=product.category,
        )


class OrderItemProduct(Model):
    id: Id
    name: str


class OrderItem(Model):
    id: Id | None = None
    product_id: Id | None = None
    quantity: int
    price: Money
    product: OrderItemProduct | None = None


class OrderUser(Model):
    id: Id
    name: str | None = None
    email: str | None = None


class Order(Model):
    id: Id
    user_id: Id | None = None
    status: str
    total: Money
    name: str | None = None
    address: str | None = None
    phone: str | None = None
    comment: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    items: list[OrderItem] = []
    user: OrderUser | None = None


class RecentOrder(Model):
    """``GET /admin/orders/recent`` rows."""

    id: Id
    user_email: str | None = None
    status: str
    total: Money
    created_at: datetime | None = None


class OrderLine(Model):
    product_id: Id
    quantity: int = Field(ge=1)


class NewOrder(Model):
    name: str
    phone: str
    address: str
    comment: str | None = None
    items: list[OrderLine] = Field(min_length=1)


class CreatedOrder(Model):
    message: str = "Order created successfully"
    order_id: Id
    total: Money
    status: str


class StatusUpdate(Model):
    message: str
    status: str
    order: Order | None = None


class Stats(BaseModel):
    """``GET /admin/stats`` (camelCase totals, snake_case daily figures, as the original)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    total_users: int | None = Field(default=None, alias="totalUsers")
    total_orders: int = Field(default=0, alias="totalOrders")
    total_products: int | None = Field(default=None, alias="totalProducts")
    revenue: Money = Decimal(0)
    today_orders: int = 0
    today_revenue: Money = Decimal(0)
    popular_products: list[Any] = []

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class Ingredient(Model):
    """A stock item: the backend's ingredient with its quantity (extra fields kept)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=False
    )

    id: Id
    name: str | None = None
    unit: str | None = None
    quantity: Decimal = Decimal(0)
    min_quantity: Decimal | None = None
    ingredient: dict[str, Any] | None = None

    @property
    def display_name(self) -> str:
        nested = (self.ingredient or {}).get("name")
        return str(self.name or nested or self.id)

    @property
    def display_unit(self) -> str:
        return str(self.unit or (self.ingredient or {}).get("unit") or "")

    @property
    def is_low(self) -> bool:
        return self.min_quantity is not None and self.quantity <= self.min_quantity


class IngredientMovement(Model):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="allow", frozen=False
    )

    id: Id
    type: str | None = None
    quantity: Decimal
    reason: str | None = None
    created_at: datetime | None = None


class Event(BaseModel):
    """One message of the backend's event stream."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: int
    type: str
    created_at: datetime | None = Field(default=None, alias="createdAt")
    data: dict[str, Any] = {}
