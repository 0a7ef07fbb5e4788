"""The migrations build exactly the schema the models describe: tables, columns, types,
indexes and foreign keys, for every service, on the engine under test."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from fodi.core import migrations


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    metadata = migrations.load_metadata()

    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        diffs = await connection.run_sync(compare)
    assert diffs == []
