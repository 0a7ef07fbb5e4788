"""Wallets, double-entry postings and check wallets; plus the service's public keyring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fodi.core.db import Base, utcnow

AUTO_ID = BigInteger().with_variant(Integer, "sqlite")  # SQLite autoincrements INTEGER only


class FranchiseWallet(Base):
    """A wallet and its running balance (the sum of its postings, kept in the same transaction).

    Only the ``system`` issuance account may go negative: it is where minted units come from.
    """

    __tablename__ = "franchise_wallets"
    __table_args__ = (CheckConstraint("balance >= 0 OR kind = 'system'", name="balance"),)

    address: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(128), default="")
    path: Mapped[str | None] = mapped_column(String(64), nullable=True)
    balance: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FranchisePosting(Base):
    """One leg of a transaction; the legs of a transaction sum to zero."""

    __tablename__ = "franchise_postings"

    id: Mapped[int] = mapped_column(AUTO_ID, primary_key=True, autoincrement=True)
    ledger_index: Mapped[int] = mapped_column(BigInteger, index=True)  # the transaction
    address: Mapped[str] = mapped_column(String(128), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)


class FranchiseCheck(Base):
    __tablename__ = "franchise_checks"

    check_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sale_id: Mapped[str] = mapped_column(String(128), unique=True)
    address: Mapped[str] = mapped_column(String(128), unique=True)
    units: Mapped[int] = mapped_column(BigInteger)
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    claimed_to: Mapped[str | None] = mapped_column(String(128), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FranchiseKeyring(Base):
    """The account xpubs (public) and the checkpoint signing key, encrypted; one row."""

    __tablename__ = "franchise_keyring"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    xpubs: Mapped[dict[str, Any]]
    signing_public_key: Mapped[str] = mapped_column(String(64))  # hex
    signing_key_sealed: Mapped[str] = mapped_column(Text)  # base64(nonce || AES-GCM ciphertext)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
