"""analytics: its tables.

Revision ID: 0003
Revises: '0002'
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fodi.analytics.money import KNOWN_CURRENCIES, exponent
from fodi.core.db import JSONType, UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER_ROLE = "fodi_analytics_reader"
READABLE_TABLES = ("payments", "analytics_currencies")


def upgrade() -> None:
    op.create_table(
        "payments",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("external_id", sa.String(255), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("amount_refunded", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=True),
        sa.Column("customer_email", sa.String(320), nullable=True),
        sa.Column("card_brand", sa.String(32), nullable=True),
        sa.Column("payment_method", sa.String(32), nullable=True),
        sa.Column("location", sa.String(128), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("metadata", JSONType, nullable=False),
        sa.Column("order_id", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
        sa.UniqueConstraint("external_id", name="uq_payments_external_id"),
    )
    op.create_index("ix_payments_created_at", "payments", ["created_at"])
    op.create_index(
        "ix_payments_status_created_at", "payments", ["status", "created_at", "currency", "amount"]
    )
    op.create_index("ix_payments_customer_id", "payments", ["customer_id"])
    op.create_index("ix_payments_location", "payments", ["location"])
    op.create_index("ix_payments_order_id", "payments", ["order_id"])

    currencies = op.create_table(
        "analytics_currencies",
        sa.Column("code", sa.String(3), nullable=False),
        sa.Column("exponent", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_analytics_currencies"),
    )
    op.bulk_insert(
        currencies, [{"code": code, "exponent": exponent(code)} for code in KNOWN_CURRENCIES]
    )

    op.create_table(
        "analytics_query_log",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("generated_sql", sa.Text(), nullable=False),
        sa.Column("engine", sa.String(32), nullable=False),
        sa.Column("understood", sa.Boolean(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("execution_time_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_analytics_query_log"),
    )
    op.create_index("ix_analytics_query_log_user_id", "analytics_query_log", ["user_id"])
    op.create_index("ix_analytics_query_log_created_at", "analytics_query_log", ["created_at"])

    op.create_table(
        "analytics_examples",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("sql", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_analytics_examples"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _create_reader_role()


def _create_reader_role() -> None:
    """A role that can only read the payments data; queries run under SET LOCAL ROLE to it.

    Roles are cluster-wide, so creating it must tolerate one left by another database; the
    grants are per database and re-applied every time.  The migrating user is made a member
    (it needs that for SET ROLE) where it has the right to; a superuser needs nothing.
    """
    op.execute(
        f"""
        DO $$
        BEGIN
            CREATE ROLE {READER_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
        EXCEPTION WHEN duplicate_object THEN NULL;
        END
        $$
        """
    )
    op.execute(
        f"""
        DO $$
        BEGIN
            EXECUTE format('GRANT {READER_ROLE} TO %I', current_user);
        EXCEPTION WHEN others THEN NULL;
        END
        $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {READER_ROLE}")
    for table in READABLE_TABLES:
        op.execute(f"GRANT SELECT ON {table} TO {READER_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in READABLE_TABLES:
            op.execute(f"REVOKE ALL ON {table} FROM {READER_ROLE}")
    op.drop_table("analytics_examples")
    op.drop_index("ix_analytics_query_log_created_at", table_name="analytics_query_log")
    op.drop_index("ix_analytics_query_log_user_id", table_name="analytics_query_log")
    op.drop_table("analytics_query_log")
    op.drop_table("analytics_currencies")
    for name in (
        "ix_payments_order_id",
        "ix_payments_location",
        "ix_payments_customer_id",
        "ix_payments_status_created_at",
        "ix_payments_created_at",
    ):
        op.drop_index(name, table_name="payments")
    op.drop_table("payments")
