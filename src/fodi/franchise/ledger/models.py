"""The log: entries with their leaf hashes, the head (size), and signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, utcnow


class FranchiseLedgerEntry(Base):
    __tablename__ = "franchise_ledger_entries"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)  # canonical bytes (see canonical.py)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class FranchiseLedgerHead(Base):
    """One row; appending locks it (``UPDATE ... RETURNING``), so indices stay contiguous."""

    __tablename__ = "franchise_ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, default=0)


class FranchiseCheckpoint(Base):
    __tablename__ = "franchise_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
