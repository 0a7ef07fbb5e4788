"""The 0002 migration creates exactly the tables the nexus models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from fodi.core import migrations


def _nexus_only(diff: Any) -> bool:
    text = repr(diff)
    return "nexus_" in text


async def test_models_and_migration_agree(engine: AsyncEngine) -> None:
    metadata = migrations.load_metadata()

    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert [d for d in diffs if _nexus_only(d)] == []
