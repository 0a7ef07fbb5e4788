"""Stock: one row per ingredient with its level, and every change of it as a movement."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, TimestampMixin, new_id, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGSERIAL.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Ingredient(TimestampMixin, Base):
    """An ingredient and its stock item (the original's Ingredient + StockItem, one row)."""

    __tablename__ = "ingredients"
    __table_args__ = (CheckConstraint("quantity_milli >= 0", name="quantity_not_negative"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    unit: Mapped[str] = mapped_column(String(10))
    quantity_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    min_quantity_milli: Mapped[int] = mapped_column(BigInteger, default=0)
    batch_number: Mapped[str | None] = mapped_column(String(64))
    brutto_weight_milli: Mapped[int | None] = mapped_column(BigInteger)
    netto_weight_milli: Mapped[int | None] = mapped_column(BigInteger)
    waste_percentage: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    expiry_days: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column()
    supplier: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    price_brutto_minor: Mapped[int | None] = mapped_column(BigInteger)
    price_netto_minor: Mapped[int | None] = mapped_column(BigInteger)
    price_per_unit_minor: Mapped[int | None] = mapped_column(BigInteger)


class StockMovement(Base):
    """One change of an ingredient's stock: who, why, how much, and the level after it."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    ingredient_id: Mapped[str] = mapped_column(
        ForeignKey("ingredients.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))
    quantity_milli: Mapped[int] = mapped_column(BigInteger)  # amount moved, always positive
    balance_milli: Mapped[int] = mapped_column(BigInteger)  # the level right after the move
    reason: Mapped[str | None] = mapped_column(String(500))
    # who moved it: the id in their token (not a foreign key: service tokens act too)
    user_id: Mapped[str | None] = mapped_column(String(36))
    order_id: Mapped[str | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True
    )
    price_brutto_minor: Mapped[int | None] = mapped_column(BigInteger)
    price_netto_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
