"""franchise: its tables.

Revision ID: 0004
Revises: '0003'
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "franchise_nodes",
        sa.Column("node_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_address", sa.String(128), nullable=False),
        sa.Column("node_type", sa.String(16), nullable=False),
        sa.Column("city", sa.String(128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _time("registered_at"),
        sa.PrimaryKeyConstraint("node_id", name="pk_franchise_nodes"),
    )
    op.create_table(
        "franchise_pos",
        sa.Column("pos_id", sa.String(128), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        _time("whitelisted_at"),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["franchise_nodes.node_id"],
            name="fk_franchise_pos_node_id_franchise_nodes",
        ),
        sa.PrimaryKeyConstraint("pos_id", name="pk_franchise_pos"),
    )
    op.create_index("ix_franchise_pos_node_id", "franchise_pos", ["node_id"])
    op.create_table(
        "franchise_api_keys",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("pos_id", sa.String(128), nullable=True),
        sa.Column("label", sa.String(128), nullable=False),
        _time("created_at"),
        _time("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_franchise_api_keys"),
        sa.UniqueConstraint("digest", name="uq_franchise_api_keys_digest"),
    )
    op.create_table(
        "franchise_sales",
        sa.Column("sale_id", sa.String(128), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("pos_id", sa.String(128), nullable=False),
        sa.Column("price_subunits", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("minting", JSON, nullable=False),
        sa.Column("check_id", sa.String(32), nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("sale_id", name="pk_franchise_sales"),
    )
    op.create_index("ix_franchise_sales_node_id", "franchise_sales", ["node_id"])
    op.create_table(
        "franchise_wallets",
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner_id", sa.String(128), nullable=False),
        sa.Column("path", sa.String(64), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        _time("created_at"),
        sa.CheckConstraint("balance >= 0 OR kind = 'system'", name="ck_franchise_wallets_balance"),
        sa.PrimaryKeyConstraint("address", name="pk_franchise_wallets"),
    )
    op.create_table(
        "franchise_postings",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("ledger_index", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_franchise_postings"),
    )
    op.create_index("ix_franchise_postings_ledger_index", "franchise_postings", ["ledger_index"])
    op.create_index("ix_franchise_postings_address", "franchise_postings", ["address"])
    op.create_table(
        "franchise_checks",
        sa.Column("check_id", sa.String(32), nullable=False),
        sa.Column("sale_id", sa.String(128), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("expires_at"),
        sa.Column("claimed_to", sa.String(128), nullable=True),
        _time("closed_at", nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("check_id", name="pk_franchise_checks"),
        sa.UniqueConstraint("sale_id", name="uq_franchise_checks_sale_id"),
        sa.UniqueConstraint("address", name="uq_franchise_checks_address"),
    )
    op.create_index("ix_franchise_checks_status", "franchise_checks", ["status"])
    op.create_index("ix_franchise_checks_expires_at", "franchise_checks", ["expires_at"])
    op.create_table(
        "franchise_keyring",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("xpubs", JSON, nullable=False),
        sa.Column("signing_public_key", sa.String(64), nullable=False),
        sa.Column("signing_key_sealed", sa.Text(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_franchise_keyring"),
    )
    op.create_table(
        "franchise_ledger_entries",
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.PrimaryKeyConstraint("idx", name="pk_franchise_ledger_entries"),
    )
    op.create_table(
        "franchise_ledger_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_franchise_ledger_head"),
    )
    op.create_table(
        "franchise_checkpoints",
        sa.Column("size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("size", name="pk_franchise_checkpoints"),
    )


def downgrade() -> None:
    for index, table in (
        ("ix_franchise_checks_expires_at", "franchise_checks"),
        ("ix_franchise_checks_status", "franchise_checks"),
        ("ix_franchise_postings_address", "franchise_postings"),
        ("ix_franchise_postings_ledger_index", "franchise_postings"),
        ("ix_franchise_sales_node_id", "franchise_sales"),
        ("ix_franchise_pos_node_id", "franchise_pos"),
    ):
        op.drop_index(index, table_name=table)
    for table in (
        "franchise_checkpoints",
        "franchise_ledger_head",
        "franchise_ledger_entries",
        "franchise_keyring",
        "franchise_checks",
        "franchise_postings",
        "franchise_wallets",
        "franchise_sales",
        "franchise_api_keys",
        "franchise_pos",
        "franchise_nodes",
    ):
        op.drop_table(table)
