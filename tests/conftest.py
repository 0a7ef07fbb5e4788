"""Fixtures every test shares: a migrated database, per-test rollback, settings, HTTP clients.

The database is ``FODI_TEST_DATABASE_URL`` (PostgreSQL in CI) or a fresh SQLite file.  Its
schema is dropped and rebuilt by the Alembic migrations once per run, so the migrations
themselves are under test.  Each test runs inside a transaction that is rolled back.
Tests marked ``postgres`` need PostgreSQL; in CI (``CI=true``) a run on PostgreSQL that
skipped any of them fails.  CI must name its database explicitly (it runs the suite twice:
on PostgreSQL, then on SQLite).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from fodi.core import migrations
from fodi.core.db import Base, Database, create_engine, is_sqlite
from fodi.core.settings import Settings
from tests.support import TEST_JWT_SECRET, rolled_back

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _configured_url() -> str | None:
    return os.environ.get("FODI_TEST_DATABASE_URL") or None


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and _configured_url() is None:
        raise pytest.UsageError("CI=true needs FODI_TEST_DATABASE_URL (PostgreSQL)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    url = _configured_url()
    if url is not None and not is_sqlite(url):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set FODI_TEST_DATABASE_URL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI's PostgreSQL pass a skipped PostgreSQL test is a failure: all must have run."""
    url = _configured_url()
    if not IN_CI or url is None or is_sqlite(url):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    postgres_skips = [r for r in skipped if "postgres" in getattr(r, "keywords", {})]
    if postgres_skips:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _configured_url() or f"sqlite:///{tmp_path_factory.mktemp('db') / 'fodi-test.db'}"


@pytest.fixture(scope="session")
def on_postgres(database_url: str) -> bool:
    return not is_sqlite(database_url)


async def _reset_schema(url: str) -> None:
    if is_sqlite(url):
        return  # a fresh file per run
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
async def migrated_url(database_url: str) -> str:
    await _reset_schema(database_url)
    await migrations.upgrade(database_url)
    return database_url


@pytest.fixture(scope="session")
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db(engine: AsyncEngine) -> AsyncIterator[Database]:
    """A Database whose sessions all live in one transaction, rolled back after the test."""
    async with rolled_back(engine) as database:
        yield database


@pytest.fixture
async def committing_db(migrated_url: str) -> AsyncIterator[Database]:
    """A real Database with real commits (for concurrency tests); every table is emptied after."""
    database = Database.from_url(migrated_url)
    try:
        yield database
    finally:
        await _truncate_all(database)
        await database.dispose()


async def _truncate_all(database: Database) -> None:
    migrations.load_metadata()
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    if not tables:
        return
    async with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            await connection.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                await connection.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 (our own table names)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        FODI_ENV="test",
        FODI_VAR_DIR=tmp_path / "var",
        DATABASE_URL=database_url,
        JWT_SECRET=TEST_JWT_SECRET,
    )


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No FodiFood variable from the developer's shell leaks into a settings test."""
    for name in list(os.environ):
        if name.startswith(("FODI_", "BACKEND__", "GATEWAY__", "NEXUS__", "ANALYTICS__")):
            monkeypatch.delenv(name)
    return monkeypatch
