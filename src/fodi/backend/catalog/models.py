"""The menu: categories, dishes and their recipes (ingredients per portion)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, TimestampMixin, new_id, utcnow


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Product(TimestampMixin, Base):
    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("category_id", "name_key"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    # lower-cased name: the original refused duplicates (name, category) case-insensitively
    name_key: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    image_url: Mapped[str | None] = mapped_column(String(500))
    weight: Mapped[str | None] = mapped_column(String(50))
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.id"), index=True)
    is_visible: Mapped[bool] = mapped_column(Boolean, default=False)


class RecipeItem(Base):
    """How much of one ingredient a single portion of a dish uses."""

    __tablename__ = "recipe_items"
    __table_args__ = (UniqueConstraint("product_id", "ingredient_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    ingredient_id: Mapped[str] = mapped_column(ForeignKey("ingredients.id"), index=True)
    quantity_milli: Mapped[int] = mapped_column(BigInteger)
