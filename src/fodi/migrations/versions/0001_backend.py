"""backend: its tables.

Revision ID: 0001
Revises: None
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fodi.core.db import JSONType, UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        *_timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "categories",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_categories"),
        sa.UniqueConstraint("name", name="uq_categories_name"),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_key", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("image_url", sa.String(500), nullable=True),
        sa.Column("weight", sa.String(50), nullable=True),
        sa.Column("category_id", sa.String(36), nullable=False),
        sa.Column("is_visible", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["category_id"], ["categories.id"], name="fk_products_category_id_categories"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_products"),
        sa.UniqueConstraint("category_id", "name_key", name="uq_products_category_id_name_key"),
    )
    op.create_index("ix_products_category_id", "products", ["category_id"])
    op.create_table(
        "ingredients",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(10), nullable=False),
        sa.Column("quantity_milli", sa.BigInteger(), nullable=False),
        sa.Column("min_quantity_milli", sa.BigInteger(), nullable=False),
        sa.Column("batch_number", sa.String(64), nullable=True),
        sa.Column("brutto_weight_milli", sa.BigInteger(), nullable=True),
        sa.Column("netto_weight_milli", sa.BigInteger(), nullable=True),
        sa.Column("waste_percentage", sa.Numeric(6, 2), nullable=True),
        sa.Column("expiry_days", sa.Integer(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("supplier", sa.String(200), nullable=True),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("price_brutto_minor", sa.BigInteger(), nullable=True),
        sa.Column("price_netto_minor", sa.BigInteger(), nullable=True),
        sa.Column("price_per_unit_minor", sa.BigInteger(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("quantity_milli >= 0", name="ck_ingredients_quantity_not_negative"),
        sa.PrimaryKeyConstraint("id", name="pk_ingredients"),
        sa.UniqueConstraint("name", name="uq_ingredients_name"),
    )
    op.create_table(
        "recipe_items",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("product_id", sa.String(36), nullable=False),
        sa.Column("ingredient_id", sa.String(36), nullable=False),
        sa.Column("quantity_milli", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name="fk_recipe_items_product_id_products",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ingredient_id"], ["ingredients.id"], name="fk_recipe_items_ingredient_id_ingredients"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_recipe_items"),
        sa.UniqueConstraint(
            "product_id", "ingredient_id", name="uq_recipe_items_product_id_ingredient_id"
        ),
    )
    op.create_index("ix_recipe_items_ingredient_id", "recipe_items", ["ingredient_id"])
    op.create_table(
        "orders",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("address", sa.String(500), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(300), nullable=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_orders_user_id_users", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        sa.UniqueConstraint("idempotency_key", name="uq_orders_idempotency_key"),
    )
    op.create_index("ix_orders_user_id", "orders", ["user_id"])
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_table(
        "order_items",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("order_id", sa.String(36), nullable=False),
        sa.Column("product_id", sa.String(36), nullable=True),
        sa.Column("product_name", sa.String(100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name="fk_order_items_order_id_orders", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name="fk_order_items_product_id_products",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_order_items"),
    )
    op.create_index("ix_order_items_order_id", "order_items", ["order_id"])
    op.create_table(
        "stock_movements",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("ingredient_id", sa.String(36), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("quantity_milli", sa.BigInteger(), nullable=False),
        sa.Column("balance_milli", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("order_id", sa.String(36), nullable=True),
        sa.Column("price_brutto_minor", sa.BigInteger(), nullable=True),
        sa.Column("price_netto_minor", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ingredient_id"],
            ["ingredients.id"],
            name="fk_stock_movements_ingredient_id_ingredients",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name="fk_stock_movements_order_id_orders",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_stock_movements"),
    )
    op.create_index("ix_stock_movements_ingredient_id", "stock_movements", ["ingredient_id"])
    op.create_index("ix_stock_movements_order_id", "stock_movements", ["order_id"])
    op.create_table(
        "backend_outbox",
        sa.Column("id", AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("payload", JSONType, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_backend_outbox"),
    )


def downgrade() -> None:
    op.drop_table("backend_outbox")
    op.drop_index("ix_stock_movements_order_id", table_name="stock_movements")
    op.drop_index("ix_stock_movements_ingredient_id", table_name="stock_movements")
    op.drop_table("stock_movements")
    op.drop_index("ix_order_items_order_id", table_name="order_items")
    op.drop_table("order_items")
    op.drop_index("ix_orders_status", table_name="orders")
    op.drop_index("ix_orders_user_id", table_name="orders")
    op.drop_table("orders")
    op.drop_index("ix_recipe_items_ingredient_id", table_name="recipe_items")
    op.drop_table("recipe_items")
    op.drop_table("ingredients")
    op.drop_index("ix_products_category_id", table_name="products")
    op.drop_table("products")
    op.drop_table("categories")
    op.drop_table("users")
