"""Every table of the analytics service (imported by the migrations' metadata).

``payments`` is the data questions are asked about (amounts in minor units, UTC times);
``analytics_currencies`` tells how many decimals each currency has; the query log and the
stored examples belong to the service itself and are never readable by generated SQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, JSONType, TimestampMixin, new_id, utcnow

PAYMENT_STATUSES = ("succeeded", "failed", "pending", "canceled")


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        # One covering index (migration 0005): every offline question bounds created_at (or
        # reads everything) and needs only these columns, so PostgreSQL answers with
        # index-only scans. No other secondary index: filters compare lower(column), which a
        # plain index cannot serve, and each index is paid for on every imported row.
        Index(
            "ix_payments_created_at_cover",
            "created_at",
            "status",
            "currency",
            "amount",
            "amount_refunded",
            "customer_id",
            "location",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime]
    amount: Mapped[int] = mapped_column(BigInteger)
    amount_refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[str | None] = mapped_column(String(255))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    card_brand: Mapped[str | None] = mapped_column(String(32))
    payment_method: Mapped[str | None] = mapped_column(String(32))
    location: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    fee: Mapped[int] = mapped_column(BigInteger, default=0)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    order_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="import")


class Currency(Base):
    __tablename__ = "analytics_currencies"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    exponent: Mapped[int] = mapped_column(Integer)


class QueryLog(Base):
    """The audit log: who asked what, the SQL that ran, whether it worked, how long it took."""

    __tablename__ = "analytics_query_log"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(100), index=True)
    question: Mapped[str] = mapped_column(Text)
    generated_sql: Mapped[str] = mapped_column(Text, default="")
    engine: Mapped[str] = mapped_column(String(32))
    understood: Mapped[bool] = mapped_column(Boolean)
    success: Mapped[bool] = mapped_column(Boolean)
    error_message: Mapped[str | None] = mapped_column(Text)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    execution_time_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Example(TimestampMixin, Base):
    """A curated question → SQL pair the LLM engines are shown (validated by the guard)."""

    __tablename__ = "analytics_examples"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    question: Mapped[str] = mapped_column(Text)
    sql: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))


__all__ = ["PAYMENT_STATUSES", "Currency", "Example", "Payment", "QueryLog"]
