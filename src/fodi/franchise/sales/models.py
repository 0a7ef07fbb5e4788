"""Recorded sales and what each minted (kept so a replay answers the first result)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, utcnow


class FranchiseSale(Base):
    __tablename__ = "franchise_sales"

    sale_id: Mapped[str] = mapped_column(String(128), primary_key=True)  # unique: no double sale
    node_id: Mapped[int] = mapped_column(Integer, index=True)
    pos_id: Mapped[str] = mapped_column(String(128))
    price_subunits: Mapped[int] = mapped_column(BigInteger)
    content_hash: Mapped[str] = mapped_column(String(64))
    minting: Mapped[dict[str, Any]]
    check_id: Mapped[str] = mapped_column(String(32))
    ledger_index: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
