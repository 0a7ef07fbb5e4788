"""Alembic, driven from code: ``fodi migrate`` and the test suite both call :func:`upgrade`.

One history for all services lives in ``fodi/migrations`` (inside the package, so an installed
``fodi`` can migrate without a checkout).  Every migration runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, MetaData

from fodi.core.db import Base, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# Each service's models module imports all of its tables; Alembic's metadata is their union.
MODEL_MODULES = (
    "fodi.backend.models",
    "fodi.nexus.models",
    "fodi.analytics.models",
    "fodi.franchise.models",
)


def load_metadata() -> MetaData:
    for module in MODEL_MODULES:
        importlib.import_module(module)
    return Base.metadata


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision``."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(
                lambda sync: command.downgrade(alembic_config(sync), revision)
            )
    finally:
        await engine.dispose()


async def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()
