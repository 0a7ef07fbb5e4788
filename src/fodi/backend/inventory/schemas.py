"""The stock contract: StockItem with its nested ingredient, and StockMovement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, Field

from fodi.backend.schemas import ApiInput, ApiModel, Money, Quantity


class Unit(StrEnum):
    G = "g"
    KG = "kg"
    ML = "ml"
    L = "l"
    PCS = "pcs"


class MovementType(StrEnum):
    ADDITION = "addition"
    CONSUMPTION = "consumption"
    WASTE = "waste"
    RECOUNT = "recount"
    RETURN = "return"


class IngredientRef(ApiModel):
    id: str
    name: str
    unit: str
    created_at: datetime


class StockItemOut(ApiModel):
    """The original's StockItem; ``id`` and ``ingredientId`` are the same (one row each)."""

    id: str
    ingredient_id: str
    name: str
    unit: str
    quantity: float
    min_quantity: float
    low_stock: bool
    updated_at: datetime
    batch_number: str | None
    brutto_weight: float | None
    netto_weight: float | None
    waste_percentage: float | None
    expiry_days: int | None
    expires_at: datetime | None
    supplier: str | None
    category: str | None
    price_brutto: float | None
    price_netto: float | None
    price_per_unit: float | None
    ingredient: IngredientRef


class MovementOut(ApiModel):
    id: str
    stock_item_id: str
    ingredient_id: str
    type: str
    quantity: float
    balance: float
    reason: str | None
    note: str | None
    user_id: str | None
    order_id: str | None
    price_brutto: float | None
    price_netto: float | None
    created_at: datetime


Percentage = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class StockItemIn(ApiInput):
    name: str = Field(min_length=1, max_length=100)
    unit: Unit | None = None  # guessed from the name when missing, as the original did
    quantity: Quantity = Decimal(0)
    min_quantity: Quantity = Decimal(0)
    brutto_weight: Quantity | None = None
    netto_weight: Quantity | None = None
    waste_percentage: Percentage | None = None
    expiry_days: int | None = Field(default=None, ge=0, le=3650)
    supplier: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=100)
    price_brutto: Money | None = None
    price_netto: Money | None = None
    price_per_unit: Money | None = None
    batch_number: str | None = Field(default=None, max_length=64)


class StockItemPatch(ApiInput):
    """Fields left out stay as they are (the original zeroed the quantity; not here)."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    unit: Unit | None = None
    quantity: Quantity | None = None
    min_quantity: Quantity | None = None
    brutto_weight: Quantity | None = None
    netto_weight: Quantity | None = None
    waste_percentage: Percentage | None = None
    expiry_days: int | None = Field(default=None, ge=0, le=3650)
    supplier: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=100)
    price_brutto: Money | None = None
    price_netto: Money | None = None
    price_per_unit: Money | None = None
    batch_number: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=500)


class MovementIn(ApiInput):
    """A manual stock change; for ``recount`` the quantity is the counted level."""

    type: MovementType
    quantity: Quantity
    reason: str | None = Field(default=None, max_length=500)


class Deleted(BaseModel):
    message: str
