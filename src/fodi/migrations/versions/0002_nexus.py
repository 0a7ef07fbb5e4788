"""nexus: its tables (users, bots, subscriptions, service tokens, workflows, events).

On PostgreSQL it also creates ``nexus_merge_patch(jsonb, jsonb)``, RFC 7396 JSON merge
patch, so a subscription's settings/state are merged inside one UPDATE statement; SQLite has
the same operation built in as ``json_patch``.

Revision ID: 0002
Revises: '0001'
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.String(36), nullable=False)


MERGE_PATCH_FUNCTION = """
CREATE OR REPLACE FUNCTION nexus_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    result jsonb;
    item record;
BEGIN
    IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
        RETURN patch;
    END IF;
    IF target IS NULL OR jsonb_typeof(target) <> 'object' THEN
        result := '{}'::jsonb;
    ELSE
        result := target;
    END IF;
    FOR item IN SELECT key, value FROM jsonb_each(patch) LOOP
        IF jsonb_typeof(item.value) = 'null' THEN
            result := result - item.key;
        ELSE
            result := jsonb_set(
                result, ARRAY[item.key], nexus_merge_patch(result -> item.key, item.value)
            );
        END IF;
    END LOOP;
    RETURN result;
END
$$;
"""


def upgrade() -> None:
    op.create_table(
        "nexus_users",
        _id(),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("username", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=True),
        sa.Column("language_code", sa.Text(), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_nexus_users"),
        sa.UniqueConstraint("telegram_id", name="uq_nexus_users_telegram_id"),
    )
    op.create_table(
        "nexus_bots",
        _id(),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("version", sa.String(50), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("webhook_secret", sa.String(100), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_nexus_bots"),
        sa.UniqueConstraint("code", name="uq_nexus_bots_code"),
    )
    op.create_table(
        "nexus_user_bots",
        _id(),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("bot_id", sa.String(36), nullable=False),
        _ts("installed_at"),
        sa.Column("settings", JSON, nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _ts("last_interaction_at"),
        sa.PrimaryKeyConstraint("id", name="pk_nexus_user_bots"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["nexus_users.id"],
            name="fk_nexus_user_bots_user_id_nexus_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["nexus_bots.id"],
            name="fk_nexus_user_bots_bot_id_nexus_bots",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("user_id", "bot_id", name="uq_nexus_user_bots_user_id_bot_id"),
    )
    op.create_index("ix_nexus_user_bots_bot_id", "nexus_user_bots", ["bot_id"])
    op.create_table(
        "nexus_service_tokens",
        _id(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("bot_id", sa.String(36), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_nexus_service_tokens"),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["nexus_bots.id"],
            name="fk_nexus_service_tokens_bot_id_nexus_bots",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("digest", name="uq_nexus_service_tokens_digest"),
    )
    op.create_index("ix_nexus_service_tokens_bot_id", "nexus_service_tokens", ["bot_id"])
    op.create_table(
        "nexus_workflows",
        _id(),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("owner_bot_id", sa.String(36), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_nexus_workflows"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["nexus_users.id"],
            name="fk_nexus_workflows_user_id_nexus_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_bot_id"],
            ["nexus_bots.id"],
            name="fk_nexus_workflows_owner_bot_id_nexus_bots",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_nexus_workflows_user_id", "nexus_workflows", ["user_id"])
    op.create_table(
        "nexus_workflow_history",
        _id(),
        sa.Column("workflow_id", sa.String(36), nullable=False),
        _ts("at"),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nexus_workflow_history"),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["nexus_workflows.id"],
            name="fk_nexus_workflow_history_workflow_id_nexus_workflows",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_nexus_workflow_history_workflow_id", "nexus_workflow_history", ["workflow_id"]
    )
    op.create_table(
        "nexus_events",
        _id(),
        sa.Column("workflow_id", sa.String(36), nullable=True),
        sa.Column("bot_id", sa.String(36), nullable=False),
        sa.Column("source_bot_id", sa.String(36), nullable=True),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("event_type", sa.String(100), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("cron", sa.String(120), nullable=True),
        _ts("scheduled_at"),
        _ts("processed_at", nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _ts("lease_until", nullable=True),
        sa.Column("lease_token", sa.String(36), nullable=True),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_nexus_events"),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["nexus_workflows.id"],
            name="fk_nexus_events_workflow_id_nexus_workflows",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["nexus_bots.id"],
            name="fk_nexus_events_bot_id_nexus_bots",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_bot_id"],
            ["nexus_bots.id"],
            name="fk_nexus_events_source_bot_id_nexus_bots",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["nexus_users.id"],
            name="fk_nexus_events_user_id_nexus_users",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_nexus_events_workflow_id", "nexus_events", ["workflow_id"])
    op.create_index("ix_nexus_events_bot_id", "nexus_events", ["bot_id"])
    op.create_index("ix_nexus_events_user_id", "nexus_events", ["user_id"])
    op.create_index(
        "ix_nexus_events_status_scheduled_at", "nexus_events", ["status", "scheduled_at"]
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(MERGE_PATCH_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS nexus_merge_patch(jsonb, jsonb)")
    for table in (
        "nexus_events",
        "nexus_workflow_history",
        "nexus_workflows",
        "nexus_service_tokens",
        "nexus_user_bots",
        "nexus_bots",
        "nexus_users",
    ):
        op.drop_table(table)
