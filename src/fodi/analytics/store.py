"""Writing payments in bulk: idempotent by external id, COPY on PostgreSQL.

On PostgreSQL each batch is COPied (asyncpg's binary COPY) straight into ``payments`` inside a
savepoint; when an external id of the batch is already there the savepoint is rolled back and
the batch takes the slower path instead: COPY into a temporary staging table, then ``INSERT
... SELECT ... ON CONFLICT (external_id) DO NOTHING``.  On SQLite an ``INSERT ... ON CONFLICT
DO NOTHING`` per batch.  Either way the caller's transaction decides: nothing is visible until
it commits, and a rollback leaves nothing behind.

What keeps a large import fast on a table that already holds millions of rows:

- New rows cost one COPY (heap multi-insert, no per-row lookups); only batches that overlap
  what is stored pay for the staging table and ON CONFLICT.
- Rows that come without an id get a time-ordered one (``OrderedIds``), so the primary key's
  B-tree grows at one edge instead of dirtying a random leaf page per row (random UUIDs made
  the primary key the most expensive index of an import).
- With ``overlap=True`` a batch is written by a task of its own while the caller reads and
  checks the next one: the database works on batch *n* while Python parses batch *n + 1*.
  The caller must then not use the session between ``add`` and ``finish``/``drain``.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Sequence
from typing import Any, cast

import orjson
from sqlalchemy import Table, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from fodi.analytics.models import Payment

STAGING = "analytics_payments_staging"
SAVEPOINT = "analytics_payments_batch"
PAYMENTS_TABLE = cast(Table, Payment.__table__)
# Row tuples follow the table's own column order, so a new column cannot be forgotten here.
COLUMNS = tuple(column.name for column in PAYMENTS_TABLE.columns)
METADATA_INDEX = COLUMNS.index("metadata")
_COLUMN_LIST = ", ".join(COLUMNS)
_MOVE = (
    f"INSERT INTO payments ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM {STAGING} "  # noqa: S608 (constant names)
    "ON CONFLICT (external_id) DO NOTHING"
)

PaymentRow = tuple[Any, ...]  # values in COLUMNS order; metadata as a dict


class OrderedIds:
    """Ids in the UUIDv7 layout, increasing within one writer and across writers over time.

    ``tttttttt-tttt-7rrr-vrrr-cccccccccccc``: 48 bits of milliseconds when the writer started,
    26 random bits (so two writers starting in the same millisecond differ), a 48-bit counter.
    Text order is creation order, which is what keeps primary-key inserts at one B-tree edge.
    """

    def __init__(self, now_ms: int | None = None, random_bits: int | None = None) -> None:
        millis = (time.time_ns() // 1_000_000 if now_ms is None else now_ms) & (2**48 - 1)
        noise = secrets.randbits(26) if random_bits is None else random_bits & (2**26 - 1)
        stamp = f"{millis:012x}"
        self._prefix = f"{stamp[:8]}-{stamp[8:]}-7{noise >> 14:03x}-{0x8000 | noise & 0x3FFF:04x}-"
        self._counter = 0

    def next(self) -> str:
        self._counter += 1
        return f"{self._prefix}{self._counter:012x}"


class PaymentWriter:
    """Writes batches of rows into ``payments`` within the session's transaction."""

    def __init__(self, session: AsyncSession, *, overlap: bool = False) -> None:
        self.session = session
        self.dialect = session.bind.dialect.name if session.bind else "sqlite"
        self.overlap = overlap and self.dialect == "postgresql"
        self.staged = 0
        self.inserted = 0
        self._prepared = False
        self._begun = False
        self._ids = OrderedIds()
        self._in_flight: asyncio.Task[None] | None = None

    async def add(self, rows: Sequence[PaymentRow]) -> None:
        if not rows:
            return
        self.staged += len(rows)
        if self.dialect != "postgresql":
            await self._insert_sqlite(rows)
            return
        records = [self._record(row) for row in rows]
        if not self.overlap:
            await self._copy_and_move(records)
            return
        await self.drain()  # one statement at a time on the connection
        self._in_flight = asyncio.create_task(self._copy_and_move(records))
        await asyncio.sleep(0)  # let the task send the batch before the caller goes on

    async def drain(self) -> None:
        """Wait for the batch being written (before the caller uses the session again)."""
        task, self._in_flight = self._in_flight, None
        if task is not None:
            await task

    async def abandon(self) -> None:
        """Wait for the batch being written, ignoring its failure (the caller is giving up)."""
        with contextlib.suppress(Exception):
            await self.drain()

    async def finish(self) -> int:
        """Wait for the last batch and drop the staging table; how many rows were new."""
        await self.drain()
        if self._prepared:
            await self.session.execute(text(f"DROP TABLE IF EXISTS {STAGING}"))
            self._prepared = False
        return self.inserted

    def _record(self, row: PaymentRow) -> tuple[Any, ...]:
        """A staging record: the id filled in, metadata as JSON text (what COPY expects)."""
        metadata = row[METADATA_INDEX]
        return (
            row[0] or self._ids.next(),
            *row[1:METADATA_INDEX],
            self._metadata_json(metadata),
            *row[METADATA_INDEX + 1 :],
        )

    @staticmethod
    def _metadata_json(metadata: dict[str, Any]) -> str:
        """JSON text of a row's metadata (orjson: a tenth of the standard library's cost,
        which was a sixth of a large import's Python time)."""
        return orjson.dumps(metadata, option=orjson.OPT_NON_STR_KEYS).decode()

    async def _insert_sqlite(self, rows: Sequence[PaymentRow]) -> None:
        statement = sqlite_insert(PAYMENTS_TABLE).on_conflict_do_nothing(
            index_elements=["external_id"]
        )
        result = await self.session.execute(
            statement,
            [
                {**dict(zip(COLUMNS, row, strict=True)), "id": row[0] or self._ids.next()}
                for row in rows
            ],
        )
        self.inserted += int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def _copy_and_move(self, records: list[tuple[Any, ...]]) -> None:
        """COPY the batch straight into ``payments``; if an external id is already there,
        undo that (a savepoint) and take the staging table's ON CONFLICT path instead.

        New rows (a first import, the common case) thus cost one COPY and no lookups; a
        re-imported batch fails at its first known id and is then moved without duplicates.
        """
        import asyncpg  # type: ignore[import-untyped]  # (asyncpg ships no type information)

        raw = await self._driver_connection()
        await raw.execute(f"SAVEPOINT {SAVEPOINT}")
        try:
            await raw.copy_records_to_table("payments", records=records, columns=list(COLUMNS))
        except asyncpg.UniqueViolationError:
            await raw.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
            await raw.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
            self.inserted += await self._stage_and_move(raw, records)
            return
        await raw.execute(f"RELEASE SAVEPOINT {SAVEPOINT}")
        self.inserted += len(records)

    async def _stage_and_move(self, raw: Any, records: list[tuple[Any, ...]]) -> int:
        if not self._prepared:
            await raw.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} "
                "(LIKE payments INCLUDING DEFAULTS) ON COMMIT DROP"
            )
            self._prepared = True
        await raw.execute(f"TRUNCATE {STAGING}")
        await raw.copy_records_to_table(STAGING, records=records, columns=list(COLUMNS))
        status: str = await raw.execute(_MOVE)  # "INSERT 0 <rows>"
        return int(status.rsplit(" ", 1)[-1])

    async def _driver_connection(self) -> Any:
        if not self._begun:
            # Through SQLAlchemy first: its driver adapter begins the transaction lazily, on
            # the first statement, and everything below must happen inside it.
            await self.session.execute(text("SELECT 1"))
            self._begun = True
        connection = await self.session.connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        return raw
