"""Every table of the backend service (imported by the migrations' metadata)."""

from fodi.backend.catalog.models import Category, Product, RecipeItem
from fodi.backend.events.models import OutboxEvent
from fodi.backend.inventory.models import Ingredient, StockMovement
from fodi.backend.orders.models import Order, OrderItem
from fodi.backend.users.models import User

__all__ = [
    "Category",
    "Ingredient",
    "Order",
    "OrderItem",
    "OutboxEvent",
    "Product",
    "RecipeItem",
    "StockMovement",
    "User",
]
