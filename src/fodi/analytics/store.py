"""Writing payments in bulk: idempotent by external id, COPY on PostgreSQL.

On PostgreSQL the rows go into a temporary staging table with asyncpg's binary COPY, then one
``INSERT ... SELECT ... ON CONFLICT (external_id) DO NOTHING`` moves them; on SQLite an
``INSERT ... ON CONFLICT DO NOTHING`` per batch.  Either way the caller's transaction decides:
nothing is visible until it commits, and a rollback leaves nothing behind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.analytics.models import Payment

STAGING = "analytics_payments_staging"
PAYMENTS_TABLE = cast(Table, Payment.__table__)
# Row tuples follow the table's own column order, so a new column cannot be forgotten here.
COLUMNS = tuple(column.name for column in PAYMENTS_TABLE.columns)

PaymentRow = tuple[Any, ...]  # values in COLUMNS order; metadata as a dict


class PaymentWriter:
    """Stages rows during one transaction and moves them into ``payments`` at the end."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind else "sqlite"
        self.staged = 0
        self._prepared = False

    async def add(self, rows: Sequence[PaymentRow]) -> None:
        if not rows:
            return
        if self.dialect == "postgresql":
            await self._copy(rows)
        else:
            await self._insert_sqlite(rows)
        self.staged += len(rows)

    async def finish(self) -> int:
        """Move staged rows (PostgreSQL); return how many were new."""
        if self.dialect != "postgresql":
            return self._inserted_sqlite
        if not self._prepared:
            return 0
        columns = ", ".join(COLUMNS)
        values = ", ".join(
            "COALESCE(id, gen_random_uuid()::text)" if name == "id" else name for name in COLUMNS
        )
        result = await self.session.execute(
            text(
                f"INSERT INTO payments ({columns}) SELECT {values} FROM {STAGING} "  # noqa: S608 (constant names)
                "ON CONFLICT (external_id) DO NOTHING"
            )
        )
        await self.session.execute(text(f"DROP TABLE IF EXISTS {STAGING}"))
        self._prepared = False
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    _inserted_sqlite = 0

    async def _insert_sqlite(self, rows: Sequence[PaymentRow]) -> None:
        statement = sqlite_insert(PAYMENTS_TABLE).on_conflict_do_nothing(
            index_elements=["external_id"]
        )
        result = await self.session.execute(
            statement,
            [
                {**dict(zip(COLUMNS, row, strict=True)), "id": row[0] or str(uuid.uuid4())}
                for row in rows
            ],
        )
        self._inserted_sqlite += int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _copy(self, rows: Sequence[PaymentRow]) -> None:
        if not self._prepared:
            # Through SQLAlchemy, so the transaction the temporary table lives in has begun.
            await self.session.execute(
                text(
                    f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} "
                    "(LIKE payments INCLUDING DEFAULTS) ON COMMIT DROP"
                )
            )
            await self.session.execute(text(f"TRUNCATE {STAGING}"))
            # Imported rows get their id from the database (gen_random_uuid) when moved.
            await self.session.execute(text(f"ALTER TABLE {STAGING} ALTER COLUMN id DROP NOT NULL"))
            self._prepared = True
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        records = [(*row[:14], json.dumps(row[14]), *row[15:]) for row in rows]
        await raw.copy_records_to_table(STAGING, records=records, columns=list(COLUMNS))
