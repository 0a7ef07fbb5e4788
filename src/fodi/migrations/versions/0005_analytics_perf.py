"""analytics: one covering index on payments instead of five narrow ones.

Revision ID: 0005
Revises: '0004'

Every question the offline engine asks bounds ``created_at`` (or scans everything) and reads
status, currency, amount, amount_refunded, customer_id or location; one index led by
``created_at`` and carrying those columns lets PostgreSQL answer them with index-only scans
(and SQLite with a covering index).  The indexes on ``customer_id``, ``location`` and
``order_id`` served no query: filters compare ``lower(column)``, which a plain index cannot
answer, and nothing looks payments up by order.  Each index an import has to maintain on a
table of millions of rows costs it more than any query gained from these.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERING_INDEX = "ix_payments_created_at_cover"
COVERING_COLUMNS = [
    "created_at",
    "status",
    "currency",
    "amount",
    "amount_refunded",
    "customer_id",
    "location",
]
# The indexes of 0003 this revision replaces: name → columns (for the downgrade).
REPLACED = {
    "ix_payments_created_at": ["created_at"],
    "ix_payments_status_created_at": ["status", "created_at", "currency", "amount"],
    "ix_payments_customer_id": ["customer_id"],
    "ix_payments_location": ["location"],
    "ix_payments_order_id": ["order_id"],
}


def upgrade() -> None:
    for name in REPLACED:
        op.drop_index(name, table_name="payments")
    op.create_index(COVERING_INDEX, "payments", COVERING_COLUMNS)


def downgrade() -> None:
    op.drop_index(COVERING_INDEX, table_name="payments")
    for name, columns in REPLACED.items():
        op.create_index(name, "payments", columns)
