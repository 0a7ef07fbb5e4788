"""Guard layers 3 and 4: how a checked statement runs.

PostgreSQL: inside a transaction that is READ ONLY, has ``statement_timeout`` set locally and
runs ``SET LOCAL ROLE`` to a role that can only SELECT the payments tables; the statement goes
over asyncpg's extended protocol (one statement, parameters bound) and the transaction is
always rolled back.  SQLite: a separate connection opened ``mode=ro``, with ``query_only`` on,
an authorizer that allows nothing but reading the payments tables and calling allow-listed
functions (so ``ATTACH``, ``PRAGMA`` and writes are refused even if the parser were fooled),
and a progress handler that interrupts it at the deadline.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from fodi.analytics.guard import ALLOWED_TABLES, GuardedSQL
from fodi.core.db import Database

SQLITE_FUNCTIONS = frozenset(
    {
        "sum", "count", "avg", "min", "max", "total", "round", "coalesce", "nullif", "ifnull",
        "iif", "abs", "lower", "upper", "length", "substr", "substring", "trim", "ltrim",
        "rtrim", "replace", "instr", "printf", "format", "strftime", "date", "datetime",
        "julianday", "unixepoch", "row_number", "rank", "dense_rank", "lag", "lead",
        "first_value", "last_value", "nth_value", "ntile", "cume_dist", "percent_rank",
        "group_concat", "json_extract", "like", "glob", "cast",
    }
)  # fmt: skip


class QueryError(Exception):
    """The database refused or aborted the statement; the message is safe to show."""


@dataclass(slots=True)
class QueryResult:
    columns: list[str]
    rows: list[dict[str, Any]]
    elapsed_ms: float
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class GuardedExecutor:
    """Runs guarded statements under the read-only layers of the configured engine."""

    def __init__(
        self, database: Database, *, timeout_ms: int, reader_role: str, work_mem_mb: int = 32
    ) -> None:
        self.database = database
        self.timeout_ms = timeout_ms
        self.work_mem_mb = work_mem_mb
        self.reader_role = reader_role
        self.dialect = database.dialect
        url = make_url(database.engine.url)
        self.sqlite_path = url.database if self.dialect == "sqlite" else None

    async def run(self, statement: GuardedSQL) -> QueryResult:
        started = time.perf_counter()
        if self.dialect == "postgresql":
            columns, rows = await self._run_postgres(statement)
        else:
            columns, rows = await asyncio.to_thread(self._run_sqlite, statement)
        elapsed = (time.perf_counter() - started) * 1000
        return QueryResult(
            columns=columns,
            rows=rows,
            elapsed_ms=elapsed,
            truncated=len(rows) >= statement.limit,
        )

    async def _run_postgres(self, statement: GuardedSQL) -> tuple[list[str], list[dict[str, Any]]]:
        import asyncpg  # type: ignore[import-untyped]  # (asyncpg ships no type information)

        async with self.database.session() as session:
            transaction = await session.begin()
            try:
                # Through SQLAlchemy first, so the driver-level transaction has begun. Ours,
                # not user input: an int and a role name validated by the settings.
                await session.execute(text("SET LOCAL transaction_read_only = on"))
                await session.execute(text(f"SET LOCAL statement_timeout = {int(self.timeout_ms)}"))
                await session.execute(text("SET LOCAL lock_timeout = 1000"))
                # Enough for year-wide distinct counts to hash in memory (see the settings).
                await session.execute(text(f"SET LOCAL work_mem = '{int(self.work_mem_mb)}MB'"))
                await session.execute(text(f'SET LOCAL ROLE "{self.reader_role}"'))
                connection = await session.connection()
                raw = (await connection.get_raw_connection()).driver_connection
                assert raw is not None
                # One statement over the extended protocol, parameters bound by the driver.
                records = await raw.fetch(statement.sql, *statement.params.values())
            except asyncpg.QueryCanceledError as exc:
                raise QueryError(
                    f"the query was stopped after {self.timeout_ms} ms (statement timeout)"
                ) from exc
            except asyncpg.PostgresError as exc:
                raise QueryError(_first_line(str(exc))) from exc
            except DBAPIError as exc:
                raise QueryError(_first_line(str(exc.orig))) from exc
            finally:
                await transaction.rollback()
        columns = list(records[0].keys()) if records else _columns_of(statement)
        return columns, [dict(record.items()) for record in records]

    def _run_sqlite(self, statement: GuardedSQL) -> tuple[list[str], list[dict[str, Any]]]:
        if not self.sqlite_path or self.sqlite_path == ":memory:":
            raise QueryError("analytics queries need a SQLite database file")
        uri = f"file:{quote(str(Path(self.sqlite_path).resolve()))}?mode=ro"
        connection = sqlite3.connect(uri, uri=True, timeout=5.0, check_same_thread=False)
        try:
            connection.execute("PRAGMA query_only = ON")
            connection.set_authorizer(_sqlite_authorizer)
            deadline = time.monotonic() + self.timeout_ms / 1000
            connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
            try:
                cursor = connection.execute(statement.sql, _sqlite_params(statement.params))
                columns = [d[0] for d in cursor.description or ()]
                rows = cursor.fetchmany(statement.limit)
            except sqlite3.OperationalError as exc:
                if "interrupted" in str(exc):
                    raise QueryError(
                        f"the query was stopped after {self.timeout_ms} ms (statement timeout)"
                    ) from exc
                raise QueryError(_first_line(str(exc))) from exc
            except sqlite3.DatabaseError as exc:
                raise QueryError(_first_line(str(exc))) from exc
        finally:
            connection.close()
        return columns, [dict(zip(columns, row, strict=True)) for row in rows]


def _sqlite_authorizer(
    action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
) -> int:
    if action == sqlite3.SQLITE_SELECT:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        table = (arg1 or "").lower()
        if table in ALLOWED_TABLES:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION:
        return (
            sqlite3.SQLITE_OK if (arg2 or "").lower() in SQLITE_FUNCTIONS else sqlite3.SQLITE_DENY
        )
    return sqlite3.SQLITE_DENY  # ATTACH, PRAGMA, writes, recursive CTEs, anything else


def _sqlite_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy stores UTC times on SQLite as 'YYYY-MM-DD HH:MM:SS.ffffff'; compare alike."""
    converted: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, datetime):
            converted[name] = value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        elif isinstance(value, Decimal):
            converted[name] = str(value)
        else:
            converted[name] = value
    return converted


def _columns_of(statement: GuardedSQL) -> list[str]:
    import sqlglot

    tree = sqlglot.parse_one(statement.display_sql, read="postgres")
    return [expression.alias_or_name for expression in getattr(tree, "expressions", [])]


def _first_line(message: str) -> str:
    return message.strip().splitlines()[0][:300] if message.strip() else "database error"
