"""The menu contract: Product (camelCase, as the Go backend and the bot's types)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from fodi.backend.schemas import ApiInput, ApiModel, Money, PositiveQuantity


class RecipeLineOut(ApiModel):
    """The original's ProductIngredient."""

    id: str
    product_id: str
    ingredient_id: str
    ingredient_name: str
    quantity: float
    unit: str
    price_per_unit: float
    total_price: float


class ProductOut(ApiModel):
    id: str
    name: str
    description: str | None
    price: float
    image_url: str | None
    weight: str | None
    category: str
    is_visible: bool
    created_at: datetime


class ProductDetail(ProductOut):
    ingredients: list[RecipeLineOut]
    semi_finished: list[dict[str, object]] = Field(default_factory=list)


class RecipeLineIn(ApiInput):
    ingredient_id: str = Field(min_length=1, max_length=36)
    quantity: PositiveQuantity


class ProductIn(ApiInput):
    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    price: Money
    image_url: str | None = Field(default=None, max_length=500)
    weight: str | None = Field(default=None, max_length=50)
    category: str | None = Field(default=None, max_length=100)
    is_visible: bool = False
    ingredients: list[RecipeLineIn] = Field(default_factory=list, max_length=100)


class ProductPatch(ApiInput):
    """A full or partial update; ``ingredients`` (when given) replaces the recipe."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=2000)
    price: Money | None = None
    image_url: str | None = Field(default=None, max_length=500)
    weight: str | None = Field(default=None, max_length=50)
    category: str | None = Field(default=None, min_length=1, max_length=100)
    is_visible: bool | None = None
    ingredients: list[RecipeLineIn] | None = Field(default=None, max_length=100)


class CategoryOut(ApiModel):
    id: str
    name: str
    position: int
    products_count: int


class CategoryIn(ApiInput):
    name: str = Field(min_length=1, max_length=100)
    position: int = Field(default=0, ge=0, le=10_000)
