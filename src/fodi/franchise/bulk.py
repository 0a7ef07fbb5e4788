"""Multi-row INSERTs of the hot path, straight to asyncpg's ``executemany`` on PostgreSQL.

A sale batch inserts hundreds of rows (sales, checks, postings, ledger entries); through the
ORM session each row's parameters pass SQLAlchemy's per-row machinery, which cost about as
much CPU as the rest of the batch.  Here the statement is compiled once per (table, columns)
by SQLAlchemy itself, each value goes through the column type's own bind processor (so the
bytes sent are the ones SQLAlchemy would send: JSON serialised the same way, and so on), and
the rows go to asyncpg in one pipelined ``executemany``, inside the session's transaction.

Anything else (SQLite, a connection not inside a transaction) takes the ordinary
``session.execute(insert(table), rows)``.  A constraint violation is raised as SQLAlchemy's
:class:`~sqlalchemy.exc.IntegrityError`, as the ordinary path would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # no stubs; two calls used here
from sqlalchemy import Table, insert
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
