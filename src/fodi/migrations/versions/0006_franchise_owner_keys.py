"""franchise: a FranchiseOwner key names the node it acts for.

Revision ID: 0006
Revises: '0005'

Until now a FranchiseOwner key could record sales at any node's terminals. The key now
carries its node; keys of other roles leave it NULL. Existing owner keys stay NULL and are
refused sales until they are replaced by a key made with ``--node``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_franchise_api_keys_node_id_franchise_nodes"


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table in place.
    with op.batch_alter_table("franchise_api_keys") as table:
        table.add_column(sa.Column("node_id", sa.Integer(), nullable=True))
        table.create_foreign_key(FOREIGN_KEY, "franchise_nodes", ["node_id"], ["node_id"])


def downgrade() -> None:
    with op.batch_alter_table("franchise_api_keys") as table:
        table.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        table.drop_column("node_id")
