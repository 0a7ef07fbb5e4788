"""The hot path's writes on PostgreSQL: many rows, few round trips, no per-row ORM work.

:func:`insert_rows` sends one table's rows to asyncpg's pipelined ``executemany`` (the
statement compiled once per (table, columns) by SQLAlchemy, each value through its column
type's own bind processor, so the bytes sent are the ones SQLAlchemy would send).
:class:`WriteBatch` goes further for a sale batch: the writes to every table in one statement.

Anything else (SQLite, a connection not inside a transaction) takes the ordinary
``session.execute(insert(table), rows)``.  A constraint violation is raised as SQLAlchemy's
:class:`~sqlalchemy.exc.IntegrityError`, as the ordinary path would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs; two calls used here
from sqlalchemy import Table, insert
from sqlalchemy.dialects.postgresql import asyncpg as postgresql_asyncpg
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

Processor = Callable[[Any], Any] | None


@lru_cache(maxsize=64)
def _statement(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[str, tuple[Processor, ...]]:
    """The INSERT (``$n`` placeholders) compiled by SQLAlchemy, and each column's processor."""
    compiled = insert(table).values(dict.fromkeys(columns)).compile(dialect=dialect)
    order = compiled.positiontup or []
    if list(order) != list(columns):  # the compiler numbers them in the table's column order
        raise RuntimeError(f"unexpected parameter order for {table.name}: {order}")
    processors = tuple(
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
    )
    return str(compiled), processors


def _ordered(table: Table, row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(column.name for column in table.columns if column.name in row)


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` in the session's transaction."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        await session.execute(insert(table), list(rows))
        return
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if not isinstance(driver, asyncpg.Connection) or not driver.is_in_transaction():
        await session.execute(insert(table), list(rows))
        return
    columns = _ordered(table, rows[0])
    sql, processors = _statement(dialect, table, columns)
    records = [[row[c] for c in columns] for row in rows]
    for position, process in enumerate(processors):
        if process is not None:  # most columns have none; JSON ones do
            for record in records:
                record[position] = process(record[position])
    try:
        await driver.executemany(sql, records)
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(sql, None, exc) from exc


Fallback = Callable[[AsyncSession], Awaitable[None]]


class WriteBatch:
    """The writes of one transaction, sent to PostgreSQL as one statement at :meth:`execute`.

    A sale batch writes to six tables (sales, checks, postings, wallets, ledger entries,
    checkpoints); one round trip each was most of the time a batch spent waiting on the
    database, during which the process had nothing else to do.  Here each write is a
    data-modifying ``WITH`` part reading its rows from ``unnest`` of typed array parameters,
    all in one statement (PostgreSQL runs the parts together and checks the constraints at
    its end).  Only identifiers from the table metadata are written into the SQL; every value
    is a bound parameter, converted by its column type's own bind processor.

    Elsewhere (SQLite, no asyncpg transaction) each write runs as its ordinary statement, in
    the order added.
    """

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._parts: list[str] = []
        self._params: list[tuple[Table, str, list[Any]]] = []  # converted at execute
        self._fallbacks: list[Fallback] = []
        self._counted: list[tuple[str, int, Exception]] = []  # (part, expected rows, else)
        self._claimed: set[str] = set()

    def __bool__(self) -> bool:
        return bool(self._fallbacks)

    def claim(self, what: str) -> None:
        """Take ``what`` for this batch once: the parts of one statement must not change the
        same row twice (PostgreSQL refuses it, or leaves it unspecified across parts)."""
        if what in self._claimed:
            raise RuntimeError(f"{what} already joined this batch")
        self._claimed.add(what)

    def bind(self, table: Table, column: str, values: list[Any]) -> str:
        """A ``$n::type[]`` placeholder for the values of ``table.column``."""
        self._params.append((table, column, list(values)))
        sql_type = table.c[column].type.dialect_impl(_PG_DIALECT)
        return f"${len(self._params)}::{sql_type.compile(dialect=_PG_DIALECT)}[]"

    def insert(
        self,
        table: Table,
        rows: Sequence[dict[str, Any]],
        add_on_conflict: tuple[str, str] | None = None,
    ) -> None:
        """INSERT ``rows``; ``add_on_conflict=(key, column)`` adds ``column`` to a row there."""
        if not rows:
            return
        columns = _ordered(table, rows[0])
        quote = _PG_DIALECT.identifier_preparer.quote
        arrays = ", ".join(self.bind(table, c, [row[c] for row in rows]) for c in columns)
        # Identifiers from the metadata and $n placeholders only: no value is in the text.
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "  # noqa: S608
            f"SELECT * FROM unnest({arrays})"
        )
        if add_on_conflict is not None:
            key, column = map(quote, add_on_conflict)
            sql += (
                f" ON CONFLICT ({key}) DO UPDATE SET {column} = "
                f"{quote(table.name)}.{column} + excluded.{column}"
            )
        self._parts.append(sql)
        self._fallbacks.append(_ordinary_insert(table, list(rows), add_on_conflict))

    def part(self, sql: str, fallback: Fallback, expect_rows: int, refusal: Exception) -> None:
        """A data-modifying statement (``RETURNING`` one row per row it changes), which must
        change ``expect_rows`` rows or the whole batch is refused with ``refusal``."""
        self._counted.append((f"p{len(self._parts)}", expect_rows, refusal))
        self._parts.append(sql)
        self._fallbacks.append(fallback)

    async def execute(self, session: AsyncSession) -> None:
        if not self._fallbacks:
            return
        driver = await _transaction_driver(session)
        if driver is None:
            for fallback in self._fallbacks:
                await fallback(session)
        else:
            await self._execute_one(driver, session.get_bind().dialect)
        self._clear()  # a batch executes once

    def _converted(self, dialect: Dialect) -> list[list[Any]]:
        """Each array's values through its column type's bind processor (the engine's own)."""
        arrays = []
        for table, column, values in self._params:
            process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
            arrays.append([process(v) for v in values] if process else values)
        return arrays

    async def _execute_one(self, driver: Any, dialect: Dialect) -> None:
        parts = ",\n".join(f"p{i} AS ({sql})" for i, sql in enumerate(self._parts))
        counts = ", ".join(
            f"(SELECT count(*) FROM {name})"  # noqa: S608  # the parts' own names
            for name, _, _ in self._counted
        )
        sql = f"WITH {parts}\nSELECT {counts or 'NULL'}"
        try:
            row = await driver.fetchrow(sql, *self._converted(dialect))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(sql, None, exc) from exc
        for position, (_, expected, refusal) in enumerate(self._counted):
            if row[position] != expected:
                raise refusal


# Type names and identifier quoting only; values are converted with the engine's dialect.
_PG_DIALECT: Dialect = postgresql_asyncpg.dialect()  # type: ignore[no-untyped-call]


async def _transaction_driver(session: AsyncSession) -> Any:
    """The session's asyncpg connection if it is in a transaction on PostgreSQL, else None."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if not isinstance(driver, asyncpg.Connection) or not driver.is_in_transaction():
        return None
    return driver


def _ordinary_insert(
    table: Table, rows: list[dict[str, Any]], add_on_conflict: tuple[str, str] | None
) -> Fallback:
    async def run(session: AsyncSession) -> None:
        if add_on_conflict is None:
            await insert_rows(session, table, rows)
            return
        key, column = add_on_conflict
        statement: Any
        if session.get_bind().dialect.name == "sqlite":
            sqlite_statement = sqlite_insert(table)
            statement = sqlite_statement.on_conflict_do_update(
                index_elements=[key],
                set_={column: table.c[column] + sqlite_statement.excluded[column]},
            )
        else:
            pg_statement = pg_insert(table)
            statement = pg_statement.on_conflict_do_update(
                index_elements=[key],
                set_={column: table.c[column] + pg_statement.excluded[column]},
            )
        await session.execute(statement, rows)

    return run
